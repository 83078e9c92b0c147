// Start an example (or any torsion script) as its own process and wait for
// its `listening on ...` lines: the way a user runs it.

export interface Running {
  child: Deno.ChildProcess;
  /** The descriptions printed after `listening on `. */
  listening: string[];
  /** The port of each description (NaN where it has none). */
  ports: number[];
  /** Lines printed on stdout after the listening lines, as they come. */
  lines: AsyncIterator<string>;
  /** Send `signal`, wait for the exit, return its status and stderr. */
  stop(signal?: Deno.Signal): Promise<{ code: number; stderr: string }>;
}

const root = new URL("../", import.meta.url);

/** Spawn `deno run -A <script> <args>` from the repository root, stdout and stderr piped. */
export function spawnScript(script: string, args: string[]): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", script, ...args],
    cwd: root,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
}

/** Run `deno run -A <script> <args>` from the repository root. */
export async function start(
  script: string,
  args: string[],
  expected = Math.max(args.length, 1),
): Promise<Running> {
  const child = spawnScript(script, args);
  const stderrText = new Response(child.stderr).text();
  const lines = linesOf(child.stdout);
  const listening: string[] = [];
  while (listening.length < expected) {
    const { value, done } = await lines.next();
    if (done) {
      const status = await child.status;
      throw new Error(
        `${script} exited (${status.code}) before listening:\n${await stderrText}`,
      );
    }
    const match = /^listening on (.+)$/.exec(value);
    if (match) listening.push(match[1]);
  }
  return {
    child,
    listening,
    ports: listening.map(portOf),
    lines,
    async stop(signal: Deno.Signal = "SIGTERM") {
      try {
        child.kill(signal);
      } catch {
        // Already gone.
      }
      const status = await child.status;
      // Drain stdout so the pipe is released.
      while (!(await lines.next()).done) { /* discard */ }
      return { code: status.code, stderr: await stderrText };
    },
  };
}

/** The port in a description such as `tcp:1234:interface=...` or `tcp:port=1234`. */
export function portOf(description: string): number {
  const keyed = /(?:^|:)port=(\d+)/.exec(description);
  if (keyed) return Number(keyed[1]);
  const positional = /^[a-z0-9]+:(\d+)(?::|$)/.exec(description);
  return positional ? Number(positional[1]) : NaN;
}

async function* linesOf(
  stream: ReadableStream<Uint8Array>,
): AsyncGenerator<string> {
  let rest = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    rest += chunk;
    let newline: number;
    while ((newline = rest.indexOf("\n")) !== -1) {
      yield rest.slice(0, newline);
      rest = rest.slice(newline + 1);
    }
  }
  if (rest !== "") yield rest;
}
