// Every TypeScript snippet of README.md, as a reader would use it: pasted,
// unchanged, into a fresh directory whose own deno.json maps the package's
// names to this checkout, then type-checked and run.
//
// The rule, snippet by snippet (README.md is read when the test runs):
// - A block is a fence opened by "```ts" (or "```typescript") at the start
//   of a line, up to the next "```" line. `ts ignore` skips the block
//   entirely (it needs something this test cannot give it, such as an npm
//   package or a value from another snippet). `ts no-run` is type-checked
//   but not run (it needs a live external service, a certificate file).
// - Each block is written to its own file, `snippet_NN.ts` (each one a
//   module of its own), and checked with `deno check`: every block must
//   type-check on its own, so each one has to import what it uses. (One
//   `deno check` of all the files; only when that fails, one per file, to
//   say which block failed and why.)
// - Each block that type-checks is then run with `deno run -A --unstable-net`
//   and must exit with status 0. A block "terminates" when its module
//   finishes evaluating (top-level awaits included) and nothing keeps the
//   process alive. A server does not terminate: it listens until killed. So
//   a preloaded harness (`--preload`) waits for the module's `load` event
//   (fired once evaluation, top-level awaits included, is over), then gives
//   the program 500 ms to end by itself and otherwise ends it with status 0
//   ("it started and did not fail"): an error thrown while the module
//   evaluates, or soon after, fails the block; a server that listens and
//   waits passes. A block whose evaluation never ends fails after 30 s.
// - Fixed ports: the README's servers listen on ports such as 8007, which the
//   example tests (run in parallel) use too. The harness has `Deno.listen`,
//   `Deno.listenTls` and `Deno.listenDatagram` bind port 0 instead of a fixed
//   port (the `listening on` lines show the real port), and has
//   `Deno.connect` / `Deno.connectTls` to a loopback port the snippet
//   listened on go to the real port. A client snippet that connects to
//   127.0.0.1:8007 with nothing of its own listening there talks to the
//   quick start's echo server, which the harness runs on a free port.
//   Unix socket paths are not changed.
//
// The fresh directory's import map points "@torsion/protocols" at mod.ts of
// this checkout, "@torsion/protocols/testing" at testing/mod.ts,
// "@torsion/protocols/otel" at otel.ts and "@torsion/protocols/cli" at
// cli.ts, and the same names with "jsr:" in front (as a snippet meant for
// `deno run` without a deno.json writes them) at the same files.

import assert from "node:assert/strict";

const root = new URL("../", import.meta.url);
// TORSION_README=path checks another Markdown file the same way (a draft
// of README sections, say); paths are relative to the working directory.
const readmeOverride = Deno.env.get("TORSION_README");
const readmeUrl = readmeOverride
  ? new URL(readmeOverride, `file://${Deno.cwd()}/`)
  : new URL("README.md", root);
const readmeName = readmeOverride ?? "README.md";

/** The ports of the README's servers that client snippets may talk to. */
const ECHO_PORTS = [8007];
/** How long a program may run on after its module evaluated. */
const GRACE_MS = 500;
/** How long a snippet's type-check, or its run, may take at most. */
const DEADLINE_MS = 30_000;
const MARK = "readme-test: stopped by the harness after evaluation";

interface Snippet {
  /** 1-based position among the README's ts blocks (ignored ones included). */
  index: number;
  /** The line of the opening fence in README.md. */
  line: number;
  /** The words after "ts" on the fence. */
  attributes: string[];
  code: string;
}

/** The ts blocks of a Markdown text, in order. */
function extractSnippets(markdown: string): Snippet[] {
  const snippets: Snippet[] = [];
  const lines = markdown.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(ts|typescript)(?:\s+(.*))?$/.exec(lines[i].trimEnd());
    if (open === null) {
      // Skip other fenced blocks whole: a ts fence inside one is not code.
      if (/^```/.test(lines[i])) {
        while (++i < lines.length && !/^```\s*$/.test(lines[i]));
      }
      continue;
    }
    const start = i;
    const body: string[] = [];
    while (++i < lines.length && !/^```\s*$/.test(lines[i])) {
      body.push(lines[i]);
    }
    snippets.push({
      index: snippets.length + 1,
      line: start + 1,
      attributes: (open[2] ?? "").split(/[\s,]+/).filter((a) => a !== ""),
      code: body.join("\n") + "\n",
    });
  }
  return snippets;
}

// The preloaded harness. It runs in the snippet's process, serialized with
// `toString()`: it may use only its parameters and globals.
function harness(echoPorts: number[], graceMs: number, mark: string): void {
  const ports = new Map<number, number>();
  const original = {
    listen: Deno.listen,
    listenTls: Deno.listenTls,
    listenDatagram: Deno.listenDatagram,
    connect: Deno.connect,
    connectTls: Deno.connectTls,
  };
  const loopback = (hostname: string | undefined): boolean =>
    hostname === undefined ||
    ["127.0.0.1", "localhost", "0.0.0.0", "::1", "::"].includes(hostname);
  type NetOptions = { port?: number; hostname?: string; transport?: string };
  // Bind port 0 instead of a fixed one, and remember where it went.
  const rebind = <R extends { addr: Deno.Addr }>(
    bind: (options: NetOptions) => R,
  ) =>
  (options: NetOptions): R => {
    const wanted = options.port;
    if (options.transport === "unix" || !wanted) return bind(options);
    const bound = bind({ ...options, port: 0 });
    ports.set(wanted, (bound.addr as Deno.NetAddr).port);
    return bound;
  };
  const redirect =
    <R>(dial: (options: NetOptions) => R) => (options: NetOptions): R => {
      const port = options.port;
      if (
        options.transport === "unix" || port === undefined ||
        !loopback(options.hostname) || !ports.has(port)
      ) return dial(options);
      return dial({ ...options, port: ports.get(port) });
    };
  const patched = Deno as unknown as Record<string, unknown>;
  patched.listen = rebind(original.listen as (o: NetOptions) => Deno.Listener);
  patched.listenTls = rebind(
    original.listenTls as unknown as (o: NetOptions) => Deno.TlsListener,
  );
  patched.listenDatagram = rebind(
    original.listenDatagram as unknown as (o: NetOptions) => Deno.DatagramConn,
  );
  patched.connect = redirect(original.connect as (o: NetOptions) => unknown);
  patched.connectTls = redirect(
    original.connectTls as (o: NetOptions) => unknown,
  );

  // The quick start's echo server, for client snippets (a snippet that
  // listens on the same port replaces it). Unreferenced: it never keeps the
  // process alive.
  for (const wanted of echoPorts) {
    const listener = original.listen({ hostname: "127.0.0.1", port: 0 });
    listener.unref();
    ports.set(wanted, listener.addr.port);
    (async () => {
      for await (const conn of listener) {
        conn.unref();
        conn.readable.pipeTo(conn.writable).catch(() => {});
      }
    })().catch(() => {});
  }
  globalThis.addEventListener("load", () => {
    const timer = setTimeout(() => {
      console.error(mark);
      Deno.exit(0);
    }, graceMs);
    Deno.unrefTimer(timer);
  });
}

interface Outcome {
  checked: { ok: boolean; output: string };
  ran: { ok: boolean; code: number | null; output: string } | null;
}

async function runDeno(
  args: string[],
  cwd: string,
): Promise<{ code: number | null; output: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args,
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
  }, DEADLINE_MS);
  try {
    const { code, signal, stdout, stderr } = await child.output();
    const decoder = new TextDecoder();
    const output = (decoder.decode(stdout) + decoder.decode(stderr)).trim();
    return signal === null ? { code, output } : {
      code: null,
      output: `${output}\n(killed after ${DEADLINE_MS} ms: ${signal})`,
    };
  } finally {
    clearTimeout(timer);
  }
}

function fileOf(snippet: Snippet): string {
  return `snippet_${String(snippet.index).padStart(2, "0")}.ts`;
}

async function runSnippet(
  snippet: Snippet,
  dir: string,
): Promise<Outcome["ran"]> {
  if (snippet.attributes.includes("no-run")) return null;
  const run = await runDeno(
    ["run", "-A", "--unstable-net", "--preload=./_harness.js", fileOf(snippet)],
    dir,
  );
  return { ok: run.code === 0, ...run };
}

/** Run `tasks` with at most `limit` at a time; results in order. */
async function pooled<T>(
  tasks: (() => Promise<T>)[],
  limit: number,
): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]();
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
  return results;
}

Deno.test("README snippets type-check and run unchanged in a fresh directory", async (t) => {
  const snippets = extractSnippets(await Deno.readTextFile(readmeUrl));
  assert.ok(snippets.length > 0, `${readmeName} has no ts blocks`);
  const dir = await Deno.makeTempDir({ prefix: "torsion_readme_" });
  try {
    const mod = (path: string): string => new URL(path, root).href;
    await Deno.writeTextFile(
      `${dir}/deno.json`,
      JSON.stringify(
        {
          imports: {
            "@torsion/protocols": mod("mod.ts"),
            "jsr:@torsion/protocols": mod("mod.ts"),
            "@torsion/protocols/testing": mod("testing/mod.ts"),
            "jsr:@torsion/protocols/testing": mod("testing/mod.ts"),
            "@torsion/protocols/otel": mod("otel.ts"),
            "jsr:@torsion/protocols/otel": mod("otel.ts"),
            "@torsion/protocols/cli": mod("cli.ts"),
            "jsr:@torsion/protocols/cli": mod("cli.ts"),
          },
        },
        null,
        2,
      ),
    );
    await Deno.writeTextFile(
      `${dir}/_harness.js`,
      `(${harness.toString()})(${
        JSON.stringify([ECHO_PORTS, GRACE_MS, MARK]).slice(1, -1)
      });\n`,
    );
    const runnable = snippets.filter((s) => !s.attributes.includes("ignore"));
    for (const snippet of runnable) {
      await Deno.writeTextFile(`${dir}/${fileOf(snippet)}`, snippet.code);
    }
    const limit = Math.max(2, Math.min(8, navigator.hardwareConcurrency));
    // One type-check of every snippet (each file is its own module); only
    // when it fails, one per snippet, to tell which failed and why.
    const all = await runDeno(
      ["check", "--quiet", ...runnable.map(fileOf)],
      dir,
    );
    const checks = all.code === 0
      ? runnable.map(() => ({ ok: true, output: "" }))
      : await pooled(
        runnable.map((snippet) => async () => {
          const check = await runDeno(
            ["check", "--quiet", fileOf(snippet)],
            dir,
          );
          return { ok: check.code === 0, output: check.output };
        }),
        limit,
      );
    const outcomes: Promise<Outcome[]> = pooled(
      runnable.map((snippet, i) => async () => ({
        checked: checks[i],
        ran: checks[i].ok ? await runSnippet(snippet, dir) : null,
      })),
      limit,
    );
    for (const [i, snippet] of runnable.entries()) {
      const first = snippet.code.split("\n").find((l) => l.trim() !== "") ??
        "";
      await t.step(
        `#${snippet.index} (${readmeName}:${snippet.line}): ${first.trim()}`,
        async () => {
          const { checked, ran } = (await outcomes)[i];
          assert.ok(
            checked.ok,
            `${readmeName}:${snippet.line}: deno check failed:\n${checked.output}`,
          );
          if (ran === null) return;
          assert.ok(
            ran.ok,
            `${readmeName}:${snippet.line}: deno run exited with ${ran.code}:\n${ran.output}`,
          );
        },
      );
    }
    await outcomes;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
