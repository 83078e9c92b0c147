// What the benchmark orchestrators share: their flags, the child processes
// they started (all killed on the way out) and their output read line by
// line, bounded waits, runs kept from a quiet moment of the machine, number
// formatting, tables, the JSON report, and the main guard.

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

/** Reads a child's stdout line by line. */
export class Lines {
  #reader: ReadableStreamDefaultReader<string>;
  #text = "";

  constructor(stream: ReadableStream<Uint8Array>) {
    this.#reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  }

  /**
   * The next line matching `pattern`, bounded in time.
   *
   * @param pattern What to wait for.
   * @param ms Time limit.
   * @param what What is awaited, for the error messages.
   * @returns The match.
   */
  async wait(
    pattern: RegExp,
    ms: number,
    what = `${pattern}`,
  ): Promise<RegExpExecArray> {
    const find = async (): Promise<RegExpExecArray> => {
      while (true) {
        const newline = this.#text.indexOf("\n");
        if (newline >= 0) {
          const line = this.#text.slice(0, newline);
          this.#text = this.#text.slice(newline + 1);
          const match = pattern.exec(line);
          if (match) return match;
          continue;
        }
        const { value, done } = await this.#reader.read();
        if (done) throw new Error(`Process exited while waiting for ${what}`);
        this.#text += value;
      }
    };
    return await timeout(find(), ms, what);
  }

  /** Read and drop the rest, so that the child never blocks on a full pipe. */
  drain(): void {
    (async () => {
      try {
        while (!(await this.#reader.read()).done) { /* discard */ }
      } catch {
        // Gone.
      }
    })();
  }
}

/**
 * On a shared machine, wait (at most `ms`) for a moment when other processes
 * use less than `maxOther` cores, sampled over half a second.
 */
async function waitForQuiet(
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

/**
 * The machine may be shared: `run` once a quiet moment came (waiting at most
 * 30 s), again up to `retries` times while other processes used more than
 * `maxOther` cores during it, and keep the quietest attempt.
 */
export async function quietestRun<T extends { otherCpu: number }>(
  { maxOther, retries }: { maxOther: number; retries: number },
  run: () => Promise<T>,
): Promise<T> {
  let best: T | null = null;
  for (let attempt = 0; attempt <= retries; attempt++) {
    await waitForQuiet(maxOther, 30_000);
    const result = await run();
    if (best === null || result.otherCpu < best.otherCpu) best = result;
    if (result.otherCpu <= maxOther) break;
  }
  return best!;
}

export function fmt(n: number, digits = 0): string {
  return n.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

/**
 * Parse `--some-name VALUE` pairs over `defaults`. A flag is known when
 * `defaults` has its camel-cased key (`--max-other` is `maxOther`); its value
 * takes the type of the default: a number (finite, not negative), a list
 * (comma-separated) or a string. `checks` narrow a key's values further.
 *
 * @throws {TypeError} An unknown flag, or one without a value.
 * @throws {RangeError} A value of the wrong type or refused by its check.
 */
export function parseFlags<T extends object>(
  args: string[],
  defaults: T,
  checks: { [K in keyof T]?: (value: T[K]) => boolean } = {},
): T {
  const base = defaults as Record<string, unknown>;
  const options: Record<string, unknown> = { ...base };
  const check = checks as Record<string, ((value: unknown) => boolean)>;
  for (let i = 0; i < args.length; i += 2) {
    const [arg, text] = [args[i], args[i + 1]];
    const key = arg.startsWith("--")
      ? arg.slice(2).replace(/-(.)/g, (_, c: string) => c.toUpperCase())
      : "";
    if (!Object.hasOwn(base, key)) {
      throw new TypeError(`Unknown option: ${arg}`);
    }
    if (text === undefined) throw new TypeError(`Missing value for ${arg}`);
    const value = typeof base[key] === "number"
      ? Number(text)
      : Array.isArray(base[key])
      ? text.split(",")
      : text;
    const valid = typeof value !== "number" ||
      (Number.isFinite(value) && value >= 0);
    if (!valid || !(check[key]?.(value) ?? true)) {
      throw new RangeError(`Invalid value for ${arg}: ${text}`);
    }
    options[key] = value;
  }
  return options as T;
}

/** A Markdown table, its columns padded to their widest cell. */
export function markdownTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) =>
    Math.max(h.length, ...rows.map((r) => r[i].length))
  );
  const line = (cells: string[]): string =>
    "| " + cells.map((c, i) => c.padEnd(widths[i])).join(" | ") + " |";
  return [
    line(header),
    line(widths.map((w) => "-".repeat(w))),
    ...rows.map(line),
  ].join("\n");
}

/** Write a benchmark's report as JSON to `path`, making its folder. */
export async function writeReport(
  path: string,
  report: unknown,
): Promise<void> {
  const folder = path.slice(0, path.lastIndexOf("/"));
  if (folder) await Deno.mkdir(folder, { recursive: true });
  await Deno.writeTextFile(path, JSON.stringify(report, null, 2) + "\n");
  console.log(`results written to ${path}`);
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
