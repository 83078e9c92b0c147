// Helpers of the reliability suite: when the heavy cases run, and the server
// process (tests/reliability/_server.ts) driven through its stdin.

/** Heavy cases run in CI (CI=true), with TORSION_STRESS=1, or with `-- --stress`. */
export const stress = Deno.env.get("CI") === "true" ||
  Deno.env.get("TORSION_STRESS") === "1" ||
  Deno.args.includes("--stress");

const skipped: string[] = [];

/** A test that runs only under `stress`; skipped ones are listed once. */
export function heavyTest(name: string, fn: () => Promise<void>): void {
  Deno.test({ name, ignore: !stress, fn });
  if (!stress) {
    if (skipped.length === 0) {
      queueMicrotask(() =>
        console.log(
          `reliability: ${skipped.length} heavy case(s) skipped ` +
            `(set CI=true or TORSION_STRESS=1 to run them)`,
        )
      );
    }
    skipped.push(name);
  }
}

/** What the server process reports on `stats`. */
export interface Stats {
  /** Resident set size, bytes. */
  rss: number;
  /** Peak resident set size since start or the last `resetPeak()`, bytes. */
  hwm: number;
  /** V8 heap in use, bytes. */
  heapUsed: number;
  /** Memory outside the V8 heap held by JS objects (ArrayBuffers), bytes. */
  external: number;
  /** Open file descriptors (from /proc/self/fd). */
  fds: number;
  /** How many of them are sockets. */
  sockets: number;
  /** Open connections. */
  open: number;
  /** Connections accepted since start. */
  total: number;
  /** connectionLost reasons by name. */
  lost: Record<string, number>;
}

/** A running `_server.ts`. */
export interface ServerProcess {
  pid: number;
  port: number;
  /** `error …` lines printed so far (errors reported by the port). */
  errors: string[];
  stats(): Promise<Stats>;
  /** Reset the peak RSS (VmHWM) to the current RSS. */
  resetPeak(): Promise<void>;
  /** Run the garbage collector. */
  gc(): Promise<void>;
  /** Resolves with the next `error …` line (or one already printed after `after`). */
  nextError(after?: number): Promise<string>;
  /** Poll `stats` until `ok(stats)`, at most `limitMs` (then throws). */
  until(ok: (stats: Stats) => boolean, limitMs?: number): Promise<Stats>;
  stop(): Promise<void>;
}

const script = new URL("./_server.ts", import.meta.url).pathname;
const root = new URL("../../", import.meta.url).pathname;

/**
 * Start the server in `mode`, optionally with `ulimit -n` lowered.
 */
export async function startServer(
  mode: "line" | "idle",
  args: string[] = [],
  options: { fdLimit?: number } = {},
): Promise<ServerProcess> {
  const deno = [
    Deno.execPath(),
    "run",
    "-A",
    "--v8-flags=--expose-gc",
    script,
    mode,
    ...args,
  ];
  return await attach(spawn(options.fdLimit, deno));
}

function spawn(fdLimit: number | undefined, deno: string[]): Deno.ChildProcess {
  const [program, ...args] = fdLimit === undefined
    ? deno
    : ["bash", "-c", `ulimit -n ${fdLimit} && exec "$0" "$@"`, ...deno];
  return new Deno.Command(program, {
    args,
    cwd: root,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
}

async function attach(child: Deno.ChildProcess): Promise<ServerProcess> {
  const stderr = new Response(child.stderr).text();
  const stdin = child.stdin.getWriter();
  const encoder = new TextEncoder();
  const errors: string[] = [];
  const statsWaiters: ((stats: Stats) => void)[] = [];
  const okWaiters: (() => void)[] = [];
  let errorWaiters: (() => void)[] = [];
  const listening = Promise.withResolvers<number>();
  const exited = child.status.then(async (status) => {
    const error = new Error(
      `server exited (${status.code}):\n${await stderr}`,
    );
    listening.reject(error);
    return error;
  });

  (async () => {
    let rest = "";
    for await (
      const chunk of child.stdout.pipeThrough(new TextDecoderStream())
    ) {
      rest += chunk;
      let newline: number;
      while ((newline = rest.indexOf("\n")) !== -1) {
        const line = rest.slice(0, newline);
        rest = rest.slice(newline + 1);
        const match = /^listening on tcp:(\d+)/.exec(line);
        if (match) listening.resolve(Number(match[1]));
        else if (line.startsWith("stats ")) {
          statsWaiters.shift()?.(JSON.parse(line.slice(6)));
        } else if (line === "ok") okWaiters.shift()?.();
        else if (line.startsWith("error ")) {
          errors.push(line);
          const waiters = errorWaiters;
          errorWaiters = [];
          for (const wake of waiters) wake();
        }
      }
    }
  })();

  async function send(command: string): Promise<void> {
    await stdin.write(encoder.encode(command + "\n"));
  }

  async function ask<T>(
    command: string,
    waiters: ((value: T) => void)[],
  ): Promise<T> {
    const { promise, resolve } = Promise.withResolvers<T>();
    waiters.push(resolve);
    await send(command);
    const result = await Promise.race([promise, exited]);
    if (result instanceof Error) throw result;
    return result as T;
  }

  const port = await listening.promise;
  const server: ServerProcess = {
    pid: child.pid,
    port,
    errors,
    stats: () => ask<Stats>("stats", statsWaiters),
    resetPeak: () => ask<void>("reset-peak", okWaiters as (() => void)[]),
    gc: () => ask<void>("gc", okWaiters as (() => void)[]),
    async nextError(after = errors.length): Promise<string> {
      while (errors.length <= after) {
        const { promise, resolve } = Promise.withResolvers<void>();
        errorWaiters.push(resolve);
        await promise;
      }
      return errors[after];
    },
    async until(ok, limitMs = 20_000): Promise<Stats> {
      const deadline = performance.now() + limitMs;
      while (true) {
        const stats = await server.stats();
        if (ok(stats)) return stats;
        if (performance.now() > deadline) {
          throw new Error(
            `Server never reached the state: ${JSON.stringify(stats)}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    async stop(): Promise<void> {
      try {
        child.kill("SIGTERM");
      } catch {
        // Gone already.
      }
      await stdin.close().catch(() => {});
      await child.status;
      await stderr;
    },
  };
  return server;
}

/** Connect to the server on loopback. */
export function connect(port: number): Promise<Deno.TcpConn> {
  return Deno.connect({ hostname: "127.0.0.1", port });
}

const lineEncoder = new TextEncoder();
const lineDecoder = new TextDecoder();

/** Send `line` + CRLF and read the echoed line back (null if the peer closed). */
export async function echo(
  conn: Deno.Conn,
  line: string,
): Promise<string | null> {
  await conn.write(lineEncoder.encode(line + "\r\n"));
  const want = line.length + 2;
  const buffer = new Uint8Array(want);
  let filled = 0;
  while (filled < want) {
    const n = await conn.read(buffer.subarray(filled));
    if (n === null) return null;
    filled += n;
  }
  return lineDecoder.decode(buffer.subarray(0, want - 2));
}

/** Close, ignoring a connection already closed. */
export function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // Already closed.
  }
}

/** Median of numbers. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** MiB, one decimal. */
export function mib(bytes: number): string {
  return (bytes / (1024 * 1024)).toFixed(1);
}
