// `--workers N`: N copies of `cli.ts serve` in worker mode, each binding the
// same ports with SO_REUSEPORT so that the kernel spreads connections among
// them. The supervisor serves nothing itself and never loads the module: it
// starts the workers, prints `listening on` once every one listens, restarts
// a worker that dies (immediately the first time, then with a doubling delay
// while it keeps dying young), and on SIGINT/SIGTERM sends SIGTERM to all and
// waits for their graceful close.

import { WORKER_FLAG } from "./_args.ts";
import {
  EXIT_BIND,
  EXIT_FAILURE,
  EXIT_MODULE,
  EXIT_OK,
  EXIT_USAGE,
} from "./_exit.ts";
import type { LogFormat, Logger, LogLevel } from "./_log.ts";
import { parseControl } from "./_worker.ts";

/** Options of `supervise`. */
export interface SupervisorOptions {
  /** The module's URL. */
  module: string;
  /** Descriptions given on the command line (empty: the module's defaults). */
  descriptions: string[];
  workers: number;
  grace: number;
  logFormat: LogFormat;
  logLevel: LogLevel;
  log: Logger;
  /** Permission flags for the workers. */
  permissionFlags: string[];
}

/** A worker that lived this long is healthy: its next death restarts at once. */
const STABLE_MS = 10_000;
const FIRST_DELAY_MS = 100;
const MAX_DELAY_MS = 30_000;
/** How long past `--grace` a stopping worker may take before SIGKILL. */
const KILL_MARGIN_MS = 5_000;

const CLI = new URL("../cli.ts", import.meta.url).href;

interface Slot {
  id: number;
  child: Deno.ChildProcess | null;
  /** Kept open, never written: its end tells the worker we are gone. */
  stdin: WritableStream<Uint8Array> | null;
  /** Resolves once the worker exited and all its output was passed on. */
  done: Promise<unknown> | null;
  ready: boolean;
  readyAt: number;
  failures: number;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/**
 * Run the workers until SIGINT or SIGTERM.
 *
 * @returns The exit code: 0 after a graceful stop; when a worker fails while
 *   starting, its code (2, 3, 4, else 1).
 */
export async function supervise(options: SupervisorOptions): Promise<number> {
  const { log, workers } = options;
  const signalled = Promise.withResolvers<string>();
  const handlers = (["SIGINT", "SIGTERM"] as const).map((signal) => {
    const handler = (): void => signalled.resolve(signal);
    Deno.addSignalListener(signal, handler);
    return [signal, handler] as const;
  });
  const started = Promise.withResolvers<number | null>();
  let running = false;
  let stopping = false;
  let listening: string[] = [];
  const slots: Slot[] = Array.from({ length: workers }, (_, i) => ({
    id: i + 1,
    child: null,
    stdin: null,
    done: null,
    ready: false,
    readyAt: 0,
    failures: 0,
    timer: undefined,
  }));

  const args = (id: number): string[] => [
    "run",
    "--unstable-net",
    "--no-prompt",
    ...options.permissionFlags,
    CLI,
    "serve",
    options.module,
    ...options.descriptions,
    `--grace=${options.grace}`,
    `--log-format=${options.logFormat}`,
    `--log-level=${options.logLevel}`,
    `${WORKER_FLAG}=${id}`,
  ];

  const spawn = (slot: Slot): void => {
    const child = new Deno.Command(Deno.execPath(), {
      args: args(slot.id),
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    slot.child = child;
    slot.stdin = child.stdin;
    slot.ready = false;
    log.debug("worker started", { worker: slot.id, pid: child.pid });
    const output = forwardOutput(
      child.stdout,
      (descriptions) => ready(slot, descriptions),
    );
    slot.done = Promise.all([child.status, output]);
    child.status.then((status) => exited(slot, child, status));
  };

  const ready = (slot: Slot, descriptions: string[]): void => {
    slot.ready = true;
    slot.readyAt = Date.now();
    const pid = slot.child?.pid;
    if (running) {
      log.info("worker listening", { worker: slot.id, pid });
      return;
    }
    log.debug("worker listening", { worker: slot.id, pid });
    if (listening.length === 0) listening = descriptions;
    if (slots.every((s) => s.ready)) started.resolve(null);
  };

  const exited = (
    slot: Slot,
    child: Deno.ChildProcess,
    status: Deno.CommandStatus,
  ): void => {
    if (slot.child !== child) return;
    slot.child = null;
    slot.stdin = null;
    const fields = {
      worker: slot.id,
      pid: child.pid,
      code: status.code,
      signal: status.signal ?? undefined,
    };
    if (stopping) {
      log.debug("worker stopped", fields);
      return;
    }
    if (!running) {
      log.error("worker failed while starting", fields);
      const fatal = [EXIT_USAGE, EXIT_MODULE, EXIT_BIND].includes(status.code);
      started.resolve(fatal ? status.code : EXIT_FAILURE);
      return;
    }
    if (slot.ready && Date.now() - slot.readyAt >= STABLE_MS) slot.failures = 0;
    const delay = slot.failures === 0
      ? 0
      : Math.min(FIRST_DELAY_MS * 2 ** (slot.failures - 1), MAX_DELAY_MS);
    slot.failures++;
    slot.ready = false;
    log.warn("worker exited, restarting", { ...fields, delay });
    slot.timer = setTimeout(() => {
      slot.timer = undefined;
      if (!stopping) spawn(slot);
    }, delay);
  };

  for (const slot of slots) spawn(slot);
  const outcome = await Promise.race([started.promise, signalled.promise]);
  let code = EXIT_OK;
  if (outcome === null) {
    running = true;
    for (const description of listening) log.listening(description);
    log.info("workers listening", {
      workers,
      pids: slots.map((s) => s.child?.pid),
    });
    const signal = await signalled.promise;
    log.info("closing", { reason: signal, workers, grace: options.grace });
  } else if (typeof outcome === "number") {
    code = outcome;
  } else {
    log.info("closing", { reason: outcome, workers, grace: options.grace });
  }
  stopping = true;
  const killed = await stopAll(slots, options.grace + KILL_MARGIN_MS, log);
  for (const [signal, handler] of handlers) {
    Deno.removeSignalListener(signal, handler);
  }
  if (code === EXIT_OK && killed) code = EXIT_FAILURE;
  return code;
}

// SIGTERM every worker, SIGKILL those still there after `deadline` ms.
// Resolves true when one had to be killed.
async function stopAll(
  slots: Slot[],
  deadline: number,
  log: Logger,
): Promise<boolean> {
  const waits: Promise<unknown>[] = [];
  for (const slot of slots) {
    clearTimeout(slot.timer);
    if (slot.done !== null) waits.push(slot.done);
    if (slot.child === null) continue;
    try {
      slot.child.kill("SIGTERM");
    } catch {
      // Already gone.
    }
  }
  let killed = false;
  const timer = setTimeout(() => {
    for (const slot of slots) {
      if (slot.child === null) continue;
      killed = true;
      log.error("worker did not stop in time, killing it", {
        worker: slot.id,
        pid: slot.child.pid,
      });
      try {
        slot.child.kill("SIGKILL");
      } catch {
        // Already gone.
      }
    }
  }, deadline);
  await Promise.all(waits);
  clearTimeout(timer);
  return killed;
}

// Pass a worker's stdout on, line by line, and pick out its control line.
async function forwardOutput(
  stdout: ReadableStream<Uint8Array>,
  onReady: (descriptions: string[]) => void,
): Promise<void> {
  let rest = "";
  const line = (text: string): void => {
    const message = parseControl(text);
    if (message) onReady(message.ready);
    else console.log(text);
  };
  try {
    for await (const chunk of stdout.pipeThrough(new TextDecoderStream())) {
      rest += chunk;
      let newline: number;
      while ((newline = rest.indexOf("\n")) !== -1) {
        line(rest.slice(0, newline));
        rest = rest.slice(newline + 1);
      }
    }
  } catch {
    // The worker is gone; its exit is handled on its status.
  }
  if (rest !== "") line(rest);
}
