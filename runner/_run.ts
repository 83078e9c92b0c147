// The runner from command line to exit code, shared by `cli.ts` and the
// examples: parse, check the descriptions, load the module, then serve in
// this process, supervise workers, or serve as one of them.

import { serverFromString } from "../endpoints/server_from_string.ts";
import { helpText, parseArgs, type ServeArgs, UsageError } from "./_args.ts";
import { EXIT_MODULE, EXIT_OK, EXIT_USAGE } from "./_exit.ts";
import {
  loadServices,
  ModuleError,
  moduleUrl,
  reason,
  type Service,
} from "./_load.ts";
import { Logger } from "./_log.ts";
import { canStartWorkers, workerPermissionFlags } from "./_permissions.ts";
import {
  type Listening,
  planListening,
  serveListening,
  workerProblem,
} from "./_serve.ts";
import { supervise } from "./_supervisor.ts";
import { workerServeOptions } from "./_worker.ts";

/** Options of `run`. */
export interface RunOptions {
  /**
   * The factories of a script that serves itself (an example): its arguments
   * are then descriptions and options, without `serve MODULE`.
   */
  services?: Service[];
  /** That script's module URL, which `--workers` loads in each worker. */
  module?: string;
  /** That script's path, for `--help`. */
  script?: string;
}

/**
 * Run a command line.
 *
 * @param args The arguments (`Deno.args`).
 * @param options For a script serving its own factories.
 * @returns The exit code.
 */
export async function run(
  args: string[],
  options: RunOptions = {},
): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs(args, options.services === undefined);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`error: ${error.message}\nRun with --help for usage.`);
    return EXIT_USAGE;
  }
  if (parsed.command === "help") {
    console.log(helpText(options.script ?? null));
    return EXIT_OK;
  }
  const worker = parsed.workerId;
  const log = new Logger({
    format: parsed.logFormat,
    level: parsed.logLevel,
    fields: worker === null ? {} : { worker, pid: Deno.pid },
  });
  const workers = parsed.workers !== null || worker !== null;
  // Descriptions given on the command line are checked before anything loads.
  try {
    for (const description of parsed.descriptions) {
      serverFromString(description);
      const problem = workers ? workerProblem(description) : null;
      if (problem !== null) throw new UsageError(problem);
    }
  } catch (error) {
    log.error("Bad description", { error: reason(error) });
    return EXIT_USAGE;
  }
  if (parsed.workers !== null && worker === null) {
    return await startSupervisor(parsed, options, log);
  }
  let services: Service[];
  try {
    services = options.services ?? await loadServices(parsed.module!);
  } catch (error) {
    if (!(error instanceof ModuleError)) throw error;
    log.error(error.message);
    return EXIT_MODULE;
  }
  let plan: Listening[];
  try {
    plan = planListening(services, parsed.descriptions);
    for (const { description } of workers ? plan : []) {
      const problem = workerProblem(description);
      if (problem !== null) throw new UsageError(problem);
    }
  } catch (error) {
    log.error("Bad description", { error: reason(error) });
    return EXIT_USAGE;
  }
  return await serveListening(plan, {
    log,
    grace: parsed.grace,
    ...(worker === null ? {} : workerServeOptions()),
  });
}

async function startSupervisor(
  parsed: ServeArgs,
  options: RunOptions,
  log: Logger,
): Promise<number> {
  if (!(await canStartWorkers())) {
    log.error(
      "--workers needs permission to run deno itself: add --allow-run (or -A)",
      { deno: Deno.execPath() },
    );
    return EXIT_USAGE;
  }
  const module = options.module ?? moduleUrl(parsed.module!);
  return await supervise({
    module,
    descriptions: parsed.descriptions,
    workers: parsed.workers!,
    grace: parsed.grace,
    logFormat: parsed.logFormat,
    logLevel: parsed.logLevel,
    log,
    permissionFlags: await workerPermissionFlags(module, parsed.descriptions),
  });
}
