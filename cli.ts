/**
 * The torsion runner (Twisted's `twistd` for Deno): serve a protocol module
 * on endpoint descriptions, with a graceful close on SIGINT/SIGTERM, logs,
 * exit codes that say what failed, and `--workers N` to use every core.
 *
 * ```sh
 * deno run -A jsr:@torsion/protocols/cli serve ./echo.ts tcp:8007
 * deno run -A jsr:@torsion/protocols/cli serve ./echo.ts tcp:8007 --workers 4
 * deno run -A jsr:@torsion/protocols/cli --help
 * ```
 *
 * `MODULE` (a path or URL) exports `factory` (a `Factory`, optionally with
 * `defaults`: the descriptions to use when none is given), or a `Protocol`
 * subclass as its default export (served with `Factory.forProtocol`), or
 * `services`: `[{ factory, defaults }, ...]` for several factories at once.
 *
 * Output: `listening on DESCRIPTION` on stdout once per endpoint when it
 * accepts (with `--workers`, once every worker accepts), log lines on stderr;
 * with `--log-format json`, one JSON object per line on stdout instead
 * (`time`, `level`, `msg` and fields; `"event": "listening"` for the
 * listening lines).
 *
 * | exit code | meaning |
 * | --- | --- |
 * | 0 | stopped by SIGINT or SIGTERM after a graceful close |
 * | 1 | an unexpected failure |
 * | 2 | bad usage or a bad description (also `--workers` with port 0) |
 * | 3 | the module cannot be loaded or exports no factory |
 * | 4 | an address cannot be bound (in use, no permission) |
 *
 * Permissions: `--allow-net` for the addresses served
 * (`--allow-net=0.0.0.0:8007` for `tcp:8007`), `--allow-read` for the
 * module's folder (`--allow-read=.`) and for `tls:` certificate files,
 * `--allow-net=unix:PATH --allow-read=PATH --allow-write=PATH` for a
 * `unix:PATH` socket; with `--workers`
 * also `--allow-run` (the supervisor starts `deno` itself; the workers get
 * `--unstable-net` for `SO_REUSEPORT`). `-A` covers all of it.
 *
 * @example A module the runner serves
 * ```ts
 * // echo.ts: deno run -A jsr:@torsion/protocols/cli serve ./echo.ts tcp:8007
 * import { Protocol } from "@torsion/protocols";
 *
 * export default class Echo extends Protocol {
 *   override dataReceived(data: Uint8Array): void {
 *     this.transport!.write(data);
 *   }
 * }
 * ```
 *
 * @module
 */

import { run } from "./runner/_run.ts";

/**
 * Run the runner's command line, as `deno run cli.ts ARGS` does.
 *
 * @param args The command line after the script: `serve MODULE
 *   [DESCRIPTION...] [--workers N] [--grace MS] [--log-format text|json]
 *   [--log-level LEVEL]`, or `--help`.
 * @returns The exit code, once serving stopped (after SIGINT or SIGTERM) or
 *   failed to start.
 *
 * @example Print the help
 * ```ts
 * import assert from "node:assert/strict";
 * import { main } from "@torsion/protocols/cli";
 *
 * const code = await main(["--help"]);
 * assert.equal(code, 0);
 * ```
 *
 * @example A bad command line: exit code 2
 * ```ts
 * import assert from "node:assert/strict";
 * import { main } from "@torsion/protocols/cli";
 *
 * assert.equal(await main(["serve"]), 2); // no MODULE
 * ```
 */
export function main(args: string[]): Promise<number> {
  return run(args);
}

if (import.meta.main) Deno.exit(await main(Deno.args));
