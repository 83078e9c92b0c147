/**
 * Memory per idle connection: how much a server's resident set grows for each
 * connection that is open and silent.
 *
 * For each server this starts it, reads its VmRSS from /proc/PID/status,
 * opens connections from a separate client process (this script with
 * `--client`) in two steps (a fifth, then the rest), waits until the server
 * holds them all (its socket descriptors in /proc/PID/fd) and its RSS has
 * settled, and reads VmRSS again. It reports KiB per connection over all of
 * them (after − before) / N, and the marginal cost between the two steps,
 * which leaves out one-off growth (compiled code, heap headroom).
 *
 * Run (from the repository root):
 * `deno run -A bench/idle_memory.ts
 * [--connections 5000] [--servers torsion,raw-64,raw-64k,raw-readable] [--out FILE]`.
 * Children run under `bash -c 'ulimit -n 20000'`; the hard limit must allow it.
 *
 * @module
 */

import {
  delay,
  deno,
  fmt,
  kill,
  Lines,
  live,
  markdownTable,
  parseFlags,
  root,
  runMain,
  timeout,
  writeReport,
} from "./_process.ts";

/** A server: a command that prints `listening on tcp:PORT` on stdout. */
export interface IdleServerSpec {
  /** Short name for the table. */
  name: string;
  /** Arguments after `deno`. */
  args: string[];
  /** What it is. */
  description: string;
}

/** The servers measured, in order. */
export const IDLE_SERVERS: IdleServerSpec[] = [
  {
    name: "torsion",
    args: [
      "run",
      "--allow-net=127.0.0.1",
      "examples/echo.ts",
      "tcp:0:interface=127.0.0.1",
    ],
    description: "examples/echo.ts (ConnTransport)",
  },
  {
    name: "raw-64",
    args: [
      "run",
      "--allow-net=127.0.0.1",
      "bench/raw_echo_server.ts",
      "--buffer",
      "64",
    ],
    description: "raw conn.read pending on a 64-byte buffer",
  },
  {
    name: "raw-64k",
    args: [
      "run",
      "--allow-net=127.0.0.1",
      "bench/raw_echo_server.ts",
      "--buffer",
      "65536",
    ],
    description: "raw conn.read pending on a 64 KiB buffer",
  },
  {
    name: "raw-readable",
    args: [
      "run",
      "--allow-net=127.0.0.1",
      "bench/raw_echo_server.ts",
      "--readable",
    ],
    description: "conn.readable.pipeTo(conn.writable)",
  },
];

/** One server's figures. */
export interface IdleResult {
  /** Server name. */
  server: string;
  /** Connections held. */
  connections: number;
  /** VmRSS before any connection, KiB. */
  rssBeforeKiB: number;
  /** VmRSS with a fifth of the connections open, KiB. */
  rssFifthKiB: number;
  /** VmRSS with all connections open, KiB. */
  rssAfterKiB: number;
  /** (after − before) / connections. */
  kibPerConnection: number;
  /** (after − fifth) / (the other four fifths). */
  marginalKibPerConnection: number;
}

const ULIMIT = 20_000;

/** Spawn `deno ARGS` with a raised descriptor limit (`exec` keeps the pid). */
function spawnDeno(args: string[], stdin: "piped" | "null"): Deno.ChildProcess {
  const child = new Deno.Command("bash", {
    args: ["-c", `ulimit -n ${ULIMIT} && exec "$0" "$@"`, deno, ...args],
    cwd: root,
    stdin,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  live.add(child);
  return child;
}

/**
 * VmRSS of a process, KiB.
 *
 * @param pid The process.
 * @returns Resident set size in KiB.
 */
export function rssKiB(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
  if (!match) throw new Error(`No VmRSS for process: ${pid}`);
  return Number(match[1]);
}

/**
 * The socket descriptors a process holds.
 *
 * @param pid The process.
 * @returns How many of its descriptors are sockets.
 */
export function socketCount(pid: number): number {
  let count = 0;
  for (const entry of Deno.readDirSync(`/proc/${pid}/fd`)) {
    try {
      if (
        Deno.readLinkSync(`/proc/${pid}/fd/${entry.name}`).startsWith("socket:")
      ) count++;
    } catch {
      // Closed while we looked.
    }
  }
  return count;
}

/** Wait (bounded) until RSS stops moving: 4 samples 250 ms apart within 0.5%. */
async function settledRss(pid: number): Promise<number> {
  const samples: number[] = [];
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    samples.push(rssKiB(pid));
    const last = samples.slice(-4);
    if (
      last.length === 4 &&
      Math.max(...last) - Math.min(...last) <= Math.max(...last) * 0.005
    ) {
      return last[3];
    }
    await delay(250);
  }
  return samples.at(-1)!;
}

async function measure(
  spec: IdleServerSpec,
  connections: number,
): Promise<IdleResult> {
  const server = spawnDeno(spec.args, "null");
  const serverErr = new Response(server.stderr).text();
  let client: Deno.ChildProcess | null = null;
  try {
    const serverOut = new Lines(server.stdout);
    const port = Number(
      (await serverOut.wait(/listening on tcp:(\d+)/, 15_000))[1],
    );
    serverOut.drain();
    const pid = server.pid;
    const baseSockets = socketCount(pid);
    const before = await settledRss(pid);

    client = spawnDeno([
      "run",
      "--allow-net=127.0.0.1",
      new URL(import.meta.url).pathname,
      "--client",
      "--port",
      String(port),
    ], "piped");
    const clientOut = new Lines(client.stdout);
    const writer = client.stdin.getWriter();
    const open = async (total: number): Promise<number> => {
      await writer.write(new TextEncoder().encode(`${total}\n`));
      await clientOut.wait(new RegExp(`^opened ${total}$`), 120_000);
      const deadline = Date.now() + 60_000;
      while (socketCount(pid) < baseSockets + total) {
        if (Date.now() > deadline) {
          throw new Error(`${spec.name} did not accept ${total} connections`);
        }
        await delay(100);
      }
      return await settledRss(pid);
    };
    const fifth = Math.round(connections / 5);
    const rssFifth = await open(fifth);
    const after = await open(connections);
    await writer.close().catch(() => {});
    return {
      server: spec.name,
      connections,
      rssBeforeKiB: before,
      rssFifthKiB: rssFifth,
      rssAfterKiB: after,
      kibPerConnection: (after - before) / connections,
      marginalKibPerConnection: (after - rssFifth) / (connections - fifth),
    };
  } catch (error) {
    throw new Error(
      `${spec.name}: ${error instanceof Error ? error.message : error}`,
      {
        cause: await Promise.race([serverErr, delay(100).then(() => "")]),
      },
    );
  } finally {
    for (const child of [client, server]) {
      if (child === null) continue;
      kill(child, child === server ? "SIGKILL" : "SIGTERM");
      try {
        await timeout(child.status, 10_000, "a child to exit");
      } catch {
        kill(child);
        await child.status;
      }
      live.delete(child);
    }
  }
}

// The client process: reads target totals on stdin, opens connections up to
// each, answers `opened TOTAL`, and holds them silent until stdin closes.
async function client(port: number): Promise<void> {
  const conns: Deno.Conn[] = [];
  const lines = Deno.stdin.readable.pipeThrough(new TextDecoderStream());
  let text = "";
  for await (const chunk of lines) {
    text += chunk;
    let newline;
    while ((newline = text.indexOf("\n")) >= 0) {
      const total = Number(text.slice(0, newline));
      text = text.slice(newline + 1);
      while (conns.length < total) {
        // A few hundred at a time: more would overflow the listen backlog.
        const batch = Math.min(200, total - conns.length);
        conns.push(
          ...await Promise.all(
            Array.from(
              { length: batch },
              () => Deno.connect({ hostname: "127.0.0.1", port }),
            ),
          ),
        );
      }
      console.log(`opened ${conns.length}`);
    }
  }
  for (const conn of conns) conn.close();
}

const DEFAULTS = {
  connections: 5000,
  servers: IDLE_SERVERS.map((s) => s.name),
  out: "bench/results/idle_memory.json",
};
type Options = typeof DEFAULTS;

function parseOptions(args: string[]): Options {
  return parseFlags(args, DEFAULTS, {
    connections: (n) => n >= 5 && n <= ULIMIT - 100,
    servers: (names) =>
      names.every((name) => IDLE_SERVERS.some((s) => s.name === name)),
  });
}

async function main(options: Options): Promise<void> {
  const results: IdleResult[] = [];
  for (const name of options.servers) {
    const spec = IDLE_SERVERS.find((s) => s.name === name)!;
    const result = await measure(spec, options.connections);
    console.error(
      `  ${name.padEnd(12)} ${fmt(result.kibPerConnection, 1)} KiB/conn ` +
        `(marginal ${fmt(result.marginalKibPerConnection, 1)}; RSS ${
          fmt(result.rssBeforeKiB)
        } → ` +
        `${fmt(result.rssAfterKiB)} KiB)`,
    );
    results.push(result);
  }
  const header = [
    "server",
    "KiB/conn",
    "marginal KiB/conn",
    "RSS before (KiB)",
    "RSS after (KiB)",
  ];
  const rows = results.map((r) => [
    r.server,
    fmt(r.kibPerConnection, 1),
    fmt(r.marginalKibPerConnection, 1),
    fmt(r.rssBeforeKiB),
    fmt(r.rssAfterKiB),
  ]);
  console.log(`${options.connections} idle connections`);
  console.log(markdownTable(header, rows));
  const report = {
    date: new Date().toISOString(),
    deno: Deno.version.deno,
    connections: options.connections,
    servers: options.servers.map((name) => {
      const { description } = IDLE_SERVERS.find((s) => s.name === name)!;
      return { name, description };
    }),
    results,
  };
  await writeReport(options.out, report);
}

if (import.meta.main) {
  if (Deno.args[0] === "--client") {
    const port = Number(Deno.args[Deno.args.indexOf("--port") + 1]);
    // Bounded even if the parent dies without closing our stdin.
    setTimeout(() => Deno.exit(0), 600_000);
    await client(port);
    Deno.exit(0);
  }
  await runMain(() => main(parseOptions(Deno.args)));
}
