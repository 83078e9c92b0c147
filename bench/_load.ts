// What the loopback benchmarks share: starting a server pinned to core 1,
// building and running the load client pinned to core 0, medians.

import type { LoadResult } from "./load_client.ts";
import type { ServerSpec } from "./loopback.ts";
import { deno, kill, Lines, live, root, timeout } from "./_process.ts";

/** Prefix a command with `taskset -c CORE` when there are cores to spare. */
function pinned(core: number, cmd: string, args: string[]): [string, string[]] {
  if (navigator.hardwareConcurrency < 2) return [cmd, args];
  return ["taskset", ["-c", String(core), cmd, ...args]];
}

/** A started server and how to stop it. */
export interface RunningServer {
  child: Deno.ChildProcess;
  port: number;
  stderr: Promise<string>;
  stop(): Promise<void>;
}

/** Start a server pinned to core 1 and wait (bounded) for its `listening on tcp:PORT` line. */
export async function startServer(spec: ServerSpec): Promise<RunningServer> {
  const [cmd, args] = pinned(1, deno, spec.args);
  const child = new Deno.Command(cmd, {
    args,
    cwd: root,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  live.add(child);
  const stderr = new Response(child.stderr).text();
  const stdout = new Lines(child.stdout);
  let port: number;
  try {
    const pattern = /listening on tcp:(\d+)/;
    port = Number(
      (await stdout.wait(pattern, 15_000, `${spec.name} to listen`))[1],
    );
  } catch (error) {
    kill(child);
    await child.status;
    live.delete(child);
    throw new Error(`${(error as Error).message}: ${await stderr}`);
  }
  stdout.drain();
  return {
    child,
    port,
    stderr,
    async stop(): Promise<void> {
      kill(child, "SIGTERM");
      try {
        await timeout(child.status, 8_000, `${spec.name} to stop`);
      } catch {
        kill(child);
        await child.status;
      }
      live.delete(child);
    },
  };
}

/** Compile bench/load_client.c into a temporary directory; null when no compiler works. */
export async function buildCClient(dir: string): Promise<string | null> {
  const exe = `${dir}/load_client`;
  for (const cc of ["cc", "gcc", "clang"]) {
    try {
      const { success } = await new Deno.Command(cc, {
        args: [
          "-O2",
          "-o",
          exe,
          new URL("./load_client.c", import.meta.url).pathname,
        ],
        stdout: "null",
        stderr: "piped",
        signal: AbortSignal.timeout(60_000),
      }).output();
      if (success) return exe;
    } catch {
      // Not installed: try the next.
    }
  }
  return null;
}

/** The load the client applies (see bench/README.md). */
export interface LoadOptions {
  duration: number;
  warmup: number;
  connections: number;
  inflight: number;
  size: number;
}

/** What every loopback benchmark's flags must satisfy (see parseFlags). */
export const LOOPBACK_CHECKS = {
  duration: (n: number): boolean => n > 0,
  connections: (n: number): boolean => n > 0,
  inflight: (n: number): boolean => n > 0,
  size: (n: number): boolean => n > 0,
  rounds: (n: number): boolean => n > 0,
  client: (client: string): boolean => ["auto", "c", "deno"].includes(client),
};

/** Run the load client (pinned to core 0) against a server; its JSON result. */
export async function runClient(
  client: string[],
  server: RunningServer,
  options: LoadOptions,
  frame: ServerSpec["frame"] = "raw",
): Promise<LoadResult> {
  const clientArgs = [
    ...client.slice(1),
    "--frame",
    frame,
    "--port",
    String(server.port),
    "--connections",
    String(options.connections),
    "--inflight",
    String(options.inflight),
    "--size",
    String(options.size),
    "--warmup",
    String(options.warmup),
    "--duration",
    String(options.duration),
    "--server-pid",
    String(server.child.pid),
  ];
  const [cmd, args] = pinned(0, client[0], clientArgs);
  const out = await new Deno.Command(cmd, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
    signal: AbortSignal.timeout(
      (options.warmup + options.duration + 40) * 1000,
    ),
  }).output();
  const stdout = new TextDecoder().decode(out.stdout).trim();
  if (!out.success) {
    throw new Error(
      `Load client failed: ${new TextDecoder().decode(out.stderr).trim()}`,
    );
  }
  return JSON.parse(stdout.split("\n").at(-1)!) as LoadResult;
}

/** The median of some figures. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * The load client's command: bench/load_client.c compiled into `dir` unless
 * `kind` is "deno" (or no compiler works and `kind` is "auto"), else
 * bench/load_client.ts.
 */
export async function loadClient(
  kind: "auto" | "c" | "deno",
  dir: string,
): Promise<string[]> {
  if (kind !== "deno") {
    const exe = await buildCClient(dir);
    if (exe !== null) return [exe];
    if (kind === "c") {
      throw new Error("No C compiler could build bench/load_client.c");
    }
  }
  return [
    deno,
    "run",
    "-A", // reading /proc needs --allow-all
    new URL("./load_client.ts", import.meta.url).pathname,
  ];
}
