// The main of every stream example: the runner (`cli.ts serve`) on the
// example's own factories, so `deno run -A examples/echo.ts [DESCRIPTION...]`
// behaves as `deno run -A cli.ts serve examples/echo.ts [DESCRIPTION...]`:
// the example's defaults when no description is given, `listening on
// DESCRIPTION` once per endpoint, a graceful close on SIGINT or SIGTERM, the
// same options (`--grace`, `--log-format`, `--workers`, ...) and exit codes.

import { run } from "../runner/_run.ts";
import type { Service } from "../runner/_load.ts";

export type { Service };

/**
 * Serve `services` as the command line says, then exit.
 *
 * @param services The example's factories and their default descriptions.
 * @param args The command line (`Deno.args`).
 */
export async function serve(
  services: Service[],
  args: string[] = [],
): Promise<never> {
  Deno.exit(
    await run(args, {
      services,
      module: Deno.mainModule,
      script: new URL(Deno.mainModule).pathname.split("/").slice(-2).join("/"),
    }),
  );
}
