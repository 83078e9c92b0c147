// What the benchmark orchestrators share: the child processes they started
// (all killed on the way out), bounded waits, waiting for a quiet machine,
// number formatting, and the main guard.

import { machineBusySeconds } from "./load_client.ts";

/** The Deno executable running the benchmark. */
export const deno: string = Deno.execPath();
/** The repository root. */
export const root: string = new URL("..", import.meta.url).pathname;
/** Child processes still running: killed when the benchmark ends or fails. */
export const live: Set<Deno.ChildProcess> = new Set();

/** Signal a child, ignoring that it may have exited. */
export function kill(
  child: Deno.ChildProcess,
  signal: Deno.Signal = "SIGKILL",
): void {
  try {
    child.kill(signal);
  } catch {
    // Already exited.
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** `promise`, or a rejection naming `what` after `ms`. */
export function timeout<T>(
  promise: Promise<T>,
  ms: number,
  what: string,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`Timed out: ${what} after ${ms} ms`)),
      ms,
    );
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

/**
 * On a shared machine, wait (at most `ms`) for a moment when other processes
 * use less than `maxOther` cores, sampled over half a second.
 */
export async function waitForQuiet(
  maxOther: number,
  ms: number,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const before = machineBusySeconds();
    await delay(500);
    if ((machineBusySeconds() - before) / 0.5 < maxOther) return;
  }
}

export function fmt(n: number, digits = 0): string {
  return n.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

/** Run `main`, killing every live child on SIGINT/SIGTERM or failure. */
export async function runMain(main: () => Promise<void>): Promise<never> {
  const cleanup = (): void => {
    for (const child of live) kill(child);
    Deno.exit(130);
  };
  Deno.addSignalListener("SIGINT", cleanup);
  Deno.addSignalListener("SIGTERM", cleanup);
  try {
    await main();
  } catch (error) {
    console.error(`error: ${error instanceof Error ? error.message : error}`);
    for (const child of live) kill(child);
    Deno.exit(1);
  }
  Deno.exit(0);
}
