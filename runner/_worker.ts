// The worker side of `--workers`: how a worker tells its supervisor that it
// listens, and when it stops.
//
// A worker's stdout is a pipe to the supervisor. The line announcing that
// every endpoint listens starts with a record separator and a tag, which no
// protocol's own `console.log` would print; every other line is passed on to
// the supervisor's stdout as it is. The worker's stdin is a pipe the
// supervisor never writes to: end of input means the supervisor is gone
// (even killed with SIGKILL), and the worker then closes gracefully.

import type { ServeOptions } from "./_serve.ts";

const PREFIX = "\u001etorsion-worker ";

/** What a worker tells its supervisor. */
export interface WorkerMessage {
  /** The worker listens on these descriptions. */
  ready: string[];
}

/** The line a worker prints for `message`. */
export function controlLine(message: WorkerMessage): string {
  return PREFIX + JSON.stringify(message);
}

/** The message on a line of a worker's stdout, or null for ordinary output. */
export function parseControl(line: string): WorkerMessage | null {
  if (!line.startsWith(PREFIX)) return null;
  try {
    const message = JSON.parse(line.slice(PREFIX.length));
    return Array.isArray(message?.ready) ? message : null;
  } catch {
    return null;
  }
}

/**
 * How a worker serves: SO_REUSEPORT, readiness reported on the control line,
 * SIGTERM (from the supervisor) closes, SIGINT (from a terminal's Ctrl+C,
 * which reaches the whole process group) is left to the supervisor, and the
 * end of stdin closes.
 */
export function workerServeOptions(): Omit<ServeOptions, "log" | "grace"> {
  return {
    reusePort: true,
    onListening: (descriptions) =>
      console.log(controlLine({ ready: descriptions })),
    stopSignals: ["SIGTERM"],
    ignoreSignals: ["SIGINT"],
    stop: stdinClosed(),
  };
}

async function stdinClosed(): Promise<string> {
  try {
    for await (const _ of Deno.stdin.readable) {
      // The supervisor never writes; nothing to read.
    }
  } catch {
    // A closed or broken pipe says the same.
  }
  return "supervisor gone";
}
