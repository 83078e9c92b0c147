// Running `cli.ts` as its own process and following its stdout and stderr
// line by line, so that a test waits for what the runner says (a listening
// line, a log event) rather than for time.

import { spawnScript } from "../_process.ts";

/** Lines of one stream, as they come, with waits on the next matching one. */
export class Lines {
  readonly all: string[] = [];
  #seen = 0;
  #done = false;
  #wake: (() => void) | null = null;
  readonly finished: Promise<void>;

  constructor(stream: ReadableStream<Uint8Array>) {
    this.finished = this.#read(stream);
  }

  async #read(stream: ReadableStream<Uint8Array>): Promise<void> {
    let rest = "";
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      rest += chunk;
      let newline: number;
      while ((newline = rest.indexOf("\n")) !== -1) {
        this.all.push(rest.slice(0, newline));
        rest = rest.slice(newline + 1);
      }
      this.#wake?.();
    }
    if (rest !== "") this.all.push(rest);
    this.#done = true;
    this.#wake?.();
  }

  /**
   * The next line (after those a previous call consumed) matching `pattern`;
   * throws if the stream ends first.
   */
  async next(pattern: RegExp): Promise<RegExpExecArray> {
    while (true) {
      while (this.#seen < this.all.length) {
        const match = pattern.exec(this.all[this.#seen++]);
        if (match) return match;
      }
      if (this.#done) {
        throw new Error(
          `Stream ended without a line matching ${pattern}:\n${
            this.all.join("\n")
          }`,
        );
      }
      await new Promise<void>((resolve) => this.#wake = resolve);
      this.#wake = null;
    }
  }

  get text(): string {
    return this.all.join("\n");
  }
}

/** A runner process. */
export interface Runner {
  child: Deno.ChildProcess;
  stdout: Lines;
  stderr: Lines;
  /** Resolves with the exit code once the process exited and both streams ended. */
  exited: Promise<number>;
  /** Send `signal` (default SIGTERM) and wait for the exit code. */
  stop(signal?: Deno.Signal): Promise<number>;
}

/** Start `deno run -A <script> <args>` from the repository root. */
export function startRunner(args: string[], script = "cli.ts"): Runner {
  const child = spawnScript(script, args);
  const stdout = new Lines(child.stdout);
  const stderr = new Lines(child.stderr);
  const exited = Promise.all([child.status, stdout.finished, stderr.finished])
    .then(([status]) => status.code);
  return {
    child,
    stdout,
    stderr,
    exited,
    stop(signal: Deno.Signal = "SIGTERM") {
      try {
        child.kill(signal);
      } catch {
        // Already gone.
      }
      return exited;
    },
  };
}

/** Run to completion: the exit code and both outputs. */
export async function runToEnd(
  args: string[],
  script = "cli.ts",
): Promise<{ code: number; stdout: string; stderr: string }> {
  const runner = startRunner(args, script);
  const code = await runner.exited;
  return { code, stdout: runner.stdout.text, stderr: runner.stderr.text };
}

/** The port in a listening line's description (`tcp:PORT:...`). */
export async function listeningPort(runner: Runner): Promise<number> {
  const match = await runner.stdout.next(
    /^listening on (?:haproxy:)?[a-z0-9]+:(\d+)/,
  );
  return Number(match[1]);
}

/** A TCP port that was free a moment ago (for `--workers`, which refuses 0). */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Connect, read the `pid N peer H:P` greeting of the fixture protocol. */
export async function greeting(
  port: number,
): Promise<{ conn: Deno.TcpConn; pid: number; peer: string }> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const line = await readLine(conn);
  const match = /^pid (\d+) peer (\S+)$/.exec(line);
  if (!match) throw new Error(`Unexpected greeting: ${line}`);
  return { conn, pid: Number(match[1]), peer: match[2] };
}

/** One `\n`-terminated line, read a byte at a time (so nothing after it is consumed). */
export async function readLine(conn: Deno.Conn): Promise<string> {
  const bytes: number[] = [];
  const one = new Uint8Array(1);
  while (true) {
    const n = await conn.read(one);
    if (n === null) throw new Error(`Closed before a line: ${bytes}`);
    if (one[0] === 0x0a) return new TextDecoder().decode(new Uint8Array(bytes));
    bytes.push(one[0]);
  }
}

/** Whether process `pid` still exists (SIGCONT changes nothing for a running process). */
export function alive(pid: number): boolean {
  try {
    Deno.kill(pid, "SIGCONT");
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** The fixture bytes `burst N` sends: byte i is i % 251. */
export function checkBurst(data: Uint8Array, offset = 0): boolean {
  for (let i = 0; i < data.length; i++) {
    if (data[i] !== (offset + i) % 251) return false;
  }
  return true;
}
