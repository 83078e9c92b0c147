// The runner's command line: `serve MODULE [DESCRIPTION...] [OPTIONS]` for
// cli.ts, `[DESCRIPTION...] [OPTIONS]` for a script that serves its own
// factories (the examples). Flags may come before, among or after the
// descriptions, as `--flag value` or `--flag=value`; `--` ends the flags.

import {
  LOG_FORMATS,
  LOG_LEVELS,
  type LogFormat,
  type LogLevel,
} from "./_log.ts";

/** A command line the runner cannot make sense of: exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** What a command line asks for. */
export type RunnerArgs =
  | { command: "help" }
  | { command: "serve" } & ServeArgs;

/** The options of `serve`. */
export interface ServeArgs {
  /** The module to load (as given); absent for a script serving its own factories. */
  module?: string;
  /** Where to listen; empty: the module's defaults. */
  descriptions: string[];
  /** Worker processes; null: serve in this process. */
  workers: number | null;
  /** Milliseconds connections get to flush on shutdown. */
  grace: number;
  logFormat: LogFormat;
  logLevel: LogLevel;
  /** Set in a worker process started by a supervisor (internal flag). */
  workerId: number | null;
}

/** `--grace` when not given: as `ListeningPort.close()`. */
export const DEFAULT_GRACE = 10_000;
/** The most workers one supervisor starts. */
export const MAX_WORKERS = 1024;

// The internal flag a supervisor starts its workers with.
export const WORKER_FLAG = "--as-worker";

const VALUE_FLAGS = [
  "--workers",
  "--grace",
  "--log-format",
  "--log-level",
  WORKER_FLAG,
] as const;

/**
 * Parse a command line.
 *
 * @param args The arguments after the script.
 * @param withModule Whether a `serve MODULE` command comes first (cli.ts) or
 *   the arguments are descriptions and options only (an example).
 */
export function parseArgs(args: string[], withModule: boolean): RunnerArgs {
  const positional: string[] = [];
  const values = new Map<string, string>();
  let flagsDone = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (flagsDone || !arg.startsWith("-") || arg === "-") {
      positional.push(arg);
      continue;
    }
    if (arg === "--") {
      flagsDone = true;
      continue;
    }
    if (arg === "-h" || arg === "--help") return { command: "help" };
    const eq = arg.indexOf("=");
    const name = eq === -1 ? arg : arg.slice(0, eq);
    if (!(VALUE_FLAGS as readonly string[]).includes(name)) {
      throw new UsageError(`Unknown option: ${name}`);
    }
    const value = eq === -1 ? args[++i] : arg.slice(eq + 1);
    if (value === undefined) {
      throw new UsageError(`Missing value for option: ${name}`);
    }
    if (values.has(name)) {
      throw new UsageError(`Option given twice: ${name}`);
    }
    values.set(name, value);
  }
  let module: string | undefined;
  if (withModule) {
    const command = positional.shift();
    if (command === undefined) throw new UsageError("Missing command: serve");
    if (command === "help") return { command: "help" };
    if (command !== "serve") {
      throw new UsageError(`Unknown command: ${command} (known: serve, help)`);
    }
    module = positional.shift();
    if (module === undefined || module === "") {
      throw new UsageError("Missing module: serve MODULE [DESCRIPTION...]");
    }
  }
  return {
    command: "serve",
    module,
    descriptions: positional,
    workers: optionalInteger(values, "--workers", 1, MAX_WORKERS),
    grace: optionalInteger(values, "--grace", 0, 2 ** 31 - 1) ?? DEFAULT_GRACE,
    logFormat: oneOf(values, "--log-format", LOG_FORMATS) ?? "text",
    logLevel: oneOf(values, "--log-level", LOG_LEVELS) ?? "info",
    workerId: optionalInteger(values, WORKER_FLAG, 1, MAX_WORKERS),
  };
}

function optionalInteger(
  values: Map<string, string>,
  name: string,
  min: number,
  max: number,
): number | null {
  const value = values.get(name);
  if (value === undefined) return null;
  const number = /^\d{1,10}$/.test(value) ? Number(value) : NaN;
  if (!(number >= min && number <= max)) {
    throw new UsageError(
      `Invalid value for ${name}: ${value} (expected an integer ${min}-${max})`,
    );
  }
  return number;
}

function oneOf<T extends string>(
  values: Map<string, string>,
  name: string,
  allowed: readonly T[],
): T | null {
  const value = values.get(name);
  if (value === undefined) return null;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(
      `Invalid value for ${name}: ${value} (expected ${allowed.join(", ")})`,
    );
  }
  return value as T;
}

/**
 * The `--help` text.
 *
 * @param program How the user starts it: `cli.ts serve MODULE`, or a script.
 */
export function helpText(program: string | null): string {
  const usage = program === null
    ? `  deno run -A jsr:@torsion/protocols/cli serve MODULE [DESCRIPTION...] [OPTIONS]
  deno run -A jsr:@torsion/protocols/cli --help`
    : `  deno run -A ${program} [DESCRIPTION...] [OPTIONS]`;
  const module = program === null
    ? `
MODULE is a path or URL of a module exporting one of:
  factory    a Factory (and optionally defaults: string[], used when no
             DESCRIPTION is given)
  default    a Protocol subclass (served with Factory.forProtocol)
  services   [{ factory, defaults }, ...]: several factories, each on its
             own defaults (then no DESCRIPTION may be given)
`
    : "";
  const examples = program === null
    ? `  deno run -A jsr:@torsion/protocols/cli serve ./echo.ts tcp:8007
  deno run -A jsr:@torsion/protocols/cli serve ./echo.ts tcp:8007 \\
      tls:8443:certKey=cert.pem:privateKey=key.pem unix:/run/echo.sock
  deno run -A jsr:@torsion/protocols/cli serve ./echo.ts tcp:8007 --workers 4
  deno run -A jsr:@torsion/protocols/cli serve ./echo.ts haproxy:tcp:8007 \\
      --workers 2 --grace 30000 --log-format json
  deno run --allow-net=127.0.0.1 --allow-read=. cli.ts serve examples/all.ts`
    : `  deno run -A ${program}
  deno run -A ${program} tcp:0:interface=127.0.0.1 --log-format json`;
  return `Serve protocol factories on endpoint descriptions until SIGINT or SIGTERM.

Usage:
${usage}
${module}
DESCRIPTION is where to listen (Twisted's syntax), e.g.
  tcp:8007[:interface=127.0.0.1]   tcp6:8007[:interface=\\:\\:1]
  tls:8443:certKey=CERT.pem:privateKey=KEY.pem   unix:/run/echo.sock[:mode=660]
  haproxy:tcp:8007   (behind HAProxy with send-proxy / send-proxy-v2)

Options:
  --workers N             serve in N worker processes that share each port
                          (SO_REUSEPORT, load-balanced by Linux); a worker that
                          dies is restarted. tcp, tcp6 and haproxy:tcp only,
                          with an explicit port (not 0). The supervisor needs
                          --allow-run; workers get --unstable-net and the
                          permissions the supervisor holds.
  --grace MS              on SIGINT/SIGTERM, stop accepting and give open
                          connections MS ms to flush, then abort them
                          (default ${DEFAULT_GRACE})
  --log-format text|json  text: "listening on DESCRIPTION" on stdout, log lines
                          on stderr; json: one JSON object per line on stdout
                          (time, level, msg, fields) (default text)
  --log-level LEVEL       debug, info, warn or error (default info); the
                          listening lines are always written
  -h, --help              show this help

Exit codes:
  0  stopped by SIGINT or SIGTERM after a graceful close
  1  an unexpected failure
  2  bad usage or bad description
  3  the module cannot be loaded or exports no factory
  4  an address cannot be bound (in use, no permission)

Examples:
${examples}
`;
}
