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
 * listening lines). Exit codes: 0 after a graceful close, 1 an unexpected
 * failure, 2 bad usage or description, 3 the module cannot be loaded or
 * exports no factory, 4 an address cannot be bound.
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
 * import { main } from "@torsion/protocols/cli";
 *
 * const code = await main(["--help"]);
 * console.assert(code === 0);
 * ```
 */
export function main(args: string[]): Promise<number> {
  return run(args);
}

if (import.meta.main) Deno.exit(await main(Deno.args));
