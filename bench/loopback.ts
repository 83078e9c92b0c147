/**
 * The loopback load benchmark: torsion's echo against a raw `Deno.Conn` echo.
 *
 * Each server is just a command that prints `listening on tcp:PORT...` (the
 * examples' `serve` does; so does bench/raw_echo_server.ts): add one to
 * `SERVERS` to measure it too. For each round and each server, this starts
 * the server pinned to one core, starts the load client pinned to the other
 * (bench/load_client.c compiled with `cc`, else bench/load_client.ts), reads
 * the client's JSON line, stops the server, and at the end prints a table
 * and writes every figure to bench/results/loopback.json.
 *
 * Run (from the repository root):
 * `deno run -A bench/loopback.ts
 * [--duration 5] [--warmup 1] [--connections 50] [--inflight 16] [--size 64]
 * [--rounds 3] [--client auto|c|deno] [--servers torsion,raw] [--out FILE]
 * [--max-other 0.15] [--retries 3]`. A run during which other processes used
 * more than `--max-other` cores is repeated up to `--retries` times, keeping
 * the quietest; each run first waits (up to 30 s) for such a quiet moment.
 *
 * @module
 */

import type { LoadResult } from "./load_client.ts";
import {
  loadClient,
  LOOPBACK_CHECKS,
  median,
  runClient,
  startServer,
} from "./_load.ts";
import {
  fmt,
  markdownTable,
  parseFlags,
  quietestRun,
  runMain,
  writeReport,
} from "./_process.ts";

/** A server under test: a command that prints `listening on tcp:PORT` on stdout. */
export interface ServerSpec {
  /** Short name for the table. */
  name: string;
  /** Arguments after `deno` (the Deno executable running this script). */
  args: string[];
  /** What it is, for the results file. */
  description: string;
  /** How the load client frames its messages for it (default raw bytes). */
  frame?: "raw" | "line" | "netstring" | "int32";
}

/** The servers measured, in order; "raw" is the baseline every other is compared to. */
export const SERVERS: ServerSpec[] = [
  {
    name: "torsion",
    args: [
      "run",
      "--allow-net=127.0.0.1",
      "examples/echo.ts",
      "tcp:0:interface=127.0.0.1",
    ],
    description: "examples/echo.ts: a Protocol whose dataReceived writes back",
  },
  {
    name: "raw",
    args: [
      "run",
      "--allow-net=127.0.0.1",
      "bench/raw_echo_server.ts",
      "--port",
      "0",
    ],
    description:
      "bench/raw_echo_server.ts: conn.read into a 64 KiB buffer, conn.write back",
  },
  // The framing echo servers of the helper protocols (issue 3): the same load,
  // each 64-byte message framed as that server expects (a 62-byte line and
  // CR LF, "60:…,", a 4-byte length and 60 bytes). Target ≥ 0.75 × raw.
  {
    name: "line",
    args: [
      "run",
      "--allow-net=127.0.0.1",
      "bench/line_echo_server.ts",
      "tcp:0:interface=127.0.0.1",
    ],
    description: "bench/line_echo_server.ts: a LineReceiver echoing each line",
    frame: "line",
  },
  {
    name: "netstring",
    args: [
      "run",
      "--allow-net=127.0.0.1",
      "examples/netstring_echo.ts",
      "tcp:0:interface=127.0.0.1",
    ],
    description: "examples/netstring_echo.ts: a NetstringReceiver echo",
    frame: "netstring",
  },
  {
    name: "int32",
    args: [
      "run",
      "--allow-net=127.0.0.1",
      "examples/int32_echo.ts",
      "tcp:0:interface=127.0.0.1",
    ],
    description: "examples/int32_echo.ts: an Int32StringReceiver echo",
    frame: "int32",
  },
  ...(["int32", "netstring", "line"] as const).map((frame) => ({
    name: `raw-${frame}`,
    args: [
      "run",
      "--allow-net=127.0.0.1",
      "bench/raw_framed_echo_server.ts",
      "--frame",
      frame,
      "--port",
      "0",
    ],
    description:
      `bench/raw_framed_echo_server.ts --frame ${frame}: a ${frame} echo written by hand on Deno.Conn (the ceiling for that framing)`,
    frame,
  })),
];

const BASELINE = "raw";

const DEFAULTS = {
  duration: 5,
  warmup: 1,
  connections: 50,
  inflight: 16,
  size: 64,
  rounds: 3,
  client: "auto" as "auto" | "c" | "deno",
  servers: ["torsion", "raw"],
  out: "bench/results/loopback.json",
  maxOther: 0.15,
  retries: 3,
};
type Options = typeof DEFAULTS;

function parseOptions(args: string[]): Options {
  return parseFlags(args, DEFAULTS, {
    ...LOOPBACK_CHECKS,
    servers: (names) => names.every((n) => SERVERS.some((s) => s.name === n)),
    maxOther: (n) => n > 0,
  });
}

/** One server's figures, medians over the rounds. */
export interface ServerSummary {
  /** Server name. */
  server: string;
  /** Median requests per second. */
  rps: number;
  /** Requests per second of each round. */
  rpsRounds: number[];
  /** Median client CPU, fraction of a core. */
  clientCpu: number;
  /** Median server CPU, fraction of a core. */
  serverCpu: number;
  /** Median server CPU microseconds per request. */
  serverCpuUsPerRequest: number;
  /** Median CPU (cores) used by other processes during the measurements. */
  otherCpu: number;
  /** Median over rounds of rps / baseline rps of the same round; null for the baseline. */
  ratio: number | null;
  /** Ratio of each round. */
  ratioRounds: number[];
}

function summarize(
  results: { round: number; server: string; result: LoadResult }[],
  servers: string[],
): ServerSummary[] {
  return servers.map((server) => {
    const mine = results.filter((r) => r.server === server);
    const ratioRounds = server === BASELINE ? [] : mine.flatMap((r) => {
      const base = results.find((b) =>
        b.server === BASELINE && b.round === r.round
      );
      return base ? [r.result.rps / base.result.rps] : [];
    });
    return {
      server,
      rps: median(mine.map((r) => r.result.rps)),
      rpsRounds: mine.map((r) => Math.round(r.result.rps)),
      clientCpu: median(mine.map((r) => r.result.clientCpu)),
      serverCpu: median(mine.map((r) => r.result.serverCpu ?? NaN)),
      serverCpuUsPerRequest: median(
        mine.map((r) => r.result.serverCpuUsPerRequest ?? NaN),
      ),
      otherCpu: median(mine.map((r) => r.result.otherCpu)),
      ratio: ratioRounds.length > 0 ? median(ratioRounds) : null,
      ratioRounds,
    };
  });
}

function table(summaries: ServerSummary[]): string {
  const header = [
    "server",
    "req/s (median)",
    "per round",
    `÷ ${BASELINE}`,
    "client CPU",
    "server CPU",
    "server µs/req",
    "other CPU",
  ];
  const rows = summaries.map((s) => [
    s.server,
    fmt(s.rps),
    s.rpsRounds.map((r) => fmt(r / 1000) + "k").join(" "),
    s.ratio === null
      ? "-"
      : `${fmt(s.ratio, 3)} (${s.ratioRounds.map((r) => fmt(r, 2)).join(" ")})`,
    `${fmt(s.clientCpu * 100)}%`,
    `${fmt(s.serverCpu * 100)}%`,
    fmt(s.serverCpuUsPerRequest, 3),
    fmt(s.otherCpu, 2),
  ]);
  return markdownTable(header, rows);
}

async function main(options: Options): Promise<void> {
  const specs = options.servers.map((name) =>
    SERVERS.find((s) => s.name === name)!
  );
  const dir = await Deno.makeTempDir({ prefix: "torsion-bench-" });
  try {
    const client = await loadClient(options.client, dir);
    const clientName = client.length === 1 ? "c" : "deno";
    console.error(
      `loopback: ${options.connections} connections × ${options.inflight} in flight × ` +
        `${options.size} B, ${options.warmup} s warm-up + ${options.duration} s, ` +
        `${options.rounds} round(s), ${clientName} client on core 0, server on core 1`,
    );
    const results: { round: number; server: string; result: LoadResult }[] = [];
    for (let round = 0; round < options.rounds; round++) {
      // Alternate the order so that neither server always runs first.
      const order = round % 2 === 0 ? specs : [...specs].reverse();
      for (const spec of order) {
        const best = await quietestRun(options, async () => {
          const server = await startServer(spec);
          let result: LoadResult;
          try {
            result = await runClient(client, server, options, spec.frame);
          } finally {
            await server.stop();
          }
          console.error(
            `  round ${round + 1} ${spec.name.padEnd(8)} ${
              fmt(result.rps).padStart(10)
            } req/s ` +
              `client ${fmt(result.clientCpu * 100)}% server ${
                fmt((result.serverCpu ?? 0) * 100)
              }% ` +
              `other ${fmt(result.otherCpu, 2)}` +
              (result.otherCpu > options.maxOther ? " (disturbed)" : ""),
          );
          return result;
        });
        results.push({ round, server: spec.name, result: best });
      }
    }
    const summaries = summarize(results, options.servers);
    console.log(table(summaries));
    for (const s of summaries) {
      if (s.clientCpu > 0.9) {
        console.log(
          `warning: the client used ${
            fmt(s.clientCpu * 100)
          }% of its core against ${s.server}: it may be the bottleneck`,
        );
      }
      if (s.otherCpu > 0.1) {
        console.log(
          `warning: other processes used ${
            fmt(s.otherCpu, 2)
          } cores during ${s.server}'s runs`,
        );
      }
    }
    const report = {
      date: new Date().toISOString(),
      deno: Deno.version.deno,
      cores: navigator.hardwareConcurrency,
      client: clientName,
      options: {
        duration: options.duration,
        warmup: options.warmup,
        connections: options.connections,
        inflight: options.inflight,
        size: options.size,
        rounds: options.rounds,
      },
      servers: specs.map(({ name, description }) => ({ name, description })),
      summary: summaries,
      runs: results,
    };
    await writeReport(options.out, report);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) {
  await runMain(() => main(parseOptions(Deno.args)));
}
