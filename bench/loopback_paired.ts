/**
 * The loopback load benchmark, paired: each server runs at the same time as
 * the baseline (`raw`), both pinned to the same core, each loaded by its own
 * client (both clients pinned to the other core, with the same load as
 * bench/loopback.ts). The scheduler gives the two servers equal shares of
 * their core, so the ratio of their requests per second is the inverse
 * ratio of their CPU cost per request, measured over the same seconds.
 *
 * Why: on a shared VM the speed of a core drifts by ±15% from one run to
 * the next, which makes the ratio of two runs made seconds apart (the plain
 * benchmark) swing by as much. Whatever slows the core during a paired run
 * slows both servers alike: the ratio stays within about ±2% from run to run.
 * Each server's CPU share is reported, to show that the split was fair.
 *
 * Run (from the repository root):
 * `deno run -A bench/loopback_paired.ts [--rounds 5] [--duration 4]
 * [--warmup 1] [--connections 50] [--inflight 16] [--size 64]
 * [--client auto|c|deno]
 * [--servers torsion,line,netstring,int32,raw-int32,raw-netstring,raw-line]
 * [--out bench/results/loopback_paired.json]`
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
import { SERVERS } from "./loopback.ts";
import {
  fmt,
  markdownTable,
  parseFlags,
  runMain,
  writeReport,
} from "./_process.ts";

const BASELINE = "raw";

const DEFAULTS = {
  duration: 4,
  warmup: 1,
  connections: 50,
  inflight: 16,
  size: 64,
  rounds: 5,
  client: "auto" as "auto" | "c" | "deno",
  servers: [
    "torsion",
    "line",
    "netstring",
    "int32",
    "raw-int32",
    "raw-netstring",
    "raw-line",
  ],
  out: "bench/results/loopback_paired.json",
};
type Options = typeof DEFAULTS;

function parseOptions(args: string[]): Options {
  return parseFlags(args, DEFAULTS, {
    ...LOOPBACK_CHECKS,
    servers: (names) =>
      names.every((n) => n !== BASELINE && SERVERS.some((s) => s.name === n)),
  });
}

/** One paired run: a server and the baseline, loaded at the same time. */
export interface PairedRun {
  round: number;
  server: string;
  result: LoadResult;
  baseline: LoadResult;
  /** result.rps / baseline.rps. */
  ratio: number;
}

/** One server's figures, medians over the rounds. */
export interface PairedSummary {
  server: string;
  /** Median over rounds of rps / baseline rps. */
  ratio: number;
  ratioRounds: number[];
  /** Median CPU share of the server and of the baseline (fractions of a core). */
  serverCpu: number;
  baselineCpu: number;
  /** Median server CPU µs per request, and the baseline's in the same runs. */
  serverCpuUsPerRequest: number;
  baselineCpuUsPerRequest: number;
}

function summarize(runs: PairedRun[], servers: string[]): PairedSummary[] {
  return servers.map((server) => {
    const mine = runs.filter((r) => r.server === server);
    const m = (f: (r: PairedRun) => number | null): number =>
      median(mine.map((r) => f(r) ?? NaN));
    return {
      server,
      ratio: m((r) => r.ratio),
      ratioRounds: mine.map((r) => r.ratio),
      serverCpu: m((r) => r.result.serverCpu),
      baselineCpu: m((r) => r.baseline.serverCpu),
      serverCpuUsPerRequest: m((r) => r.result.serverCpuUsPerRequest),
      baselineCpuUsPerRequest: m((r) => r.baseline.serverCpuUsPerRequest),
    };
  });
}

function table(summaries: PairedSummary[]): string {
  const header = [
    "server",
    `÷ ${BASELINE} (median)`,
    "per round",
    "CPU share (server / raw)",
    "µs/req (server / raw)",
  ];
  const rows = summaries.map((s) => [
    s.server,
    fmt(s.ratio, 3),
    s.ratioRounds.map((r) => fmt(r, 3)).join(" "),
    `${fmt(s.serverCpu * 100)}% / ${fmt(s.baselineCpu * 100)}%`,
    `${fmt(s.serverCpuUsPerRequest, 3)} / ${fmt(s.baselineCpuUsPerRequest, 3)}`,
  ]);
  return markdownTable(header, rows);
}

async function main(options: Options): Promise<void> {
  const base = SERVERS.find((s) => s.name === BASELINE)!;
  const specs = options.servers.map((name) =>
    SERVERS.find((s) => s.name === name)!
  );
  const dir = await Deno.makeTempDir({ prefix: "torsion-bench-" });
  try {
    const client = await loadClient(options.client, dir);
    console.error(
      `loopback (paired with ${BASELINE}): ${options.connections} connections × ` +
        `${options.inflight} in flight × ${options.size} B, ${options.warmup} s ` +
        `warm-up + ${options.duration} s, ${options.rounds} round(s); both ` +
        `servers on core 1, both clients on core 0`,
    );
    const runs: PairedRun[] = [];
    for (let round = 0; round < options.rounds; round++) {
      for (const spec of specs) {
        // Alternate which one starts first.
        const pair = round % 2 === 0 ? [spec, base] : [base, spec];
        const servers = [];
        try {
          for (const s of pair) servers.push(await startServer(s));
          const results = await Promise.all(
            servers.map((server, i) =>
              runClient(client, server, options, pair[i].frame)
            ),
          );
          const result = results[pair.indexOf(spec)];
          const baseline = results[pair.indexOf(base)];
          const ratio = result.rps / baseline.rps;
          runs.push({ round, server: spec.name, result, baseline, ratio });
          console.error(
            `  round ${round + 1} ${spec.name.padEnd(9)} ${
              fmt(result.rps).padStart(9)
            } vs raw ${fmt(baseline.rps).padStart(9)} req/s = ${
              fmt(ratio, 3)
            } (CPU ${fmt((result.serverCpu ?? 0) * 100)}% / ${
              fmt((baseline.serverCpu ?? 0) * 100)
            }%)`,
          );
        } finally {
          await Promise.all(servers.map((s) => s.stop()));
        }
      }
    }
    const summaries = summarize(runs, options.servers);
    console.log(table(summaries));
    const report = {
      date: new Date().toISOString(),
      deno: Deno.version.deno,
      cores: navigator.hardwareConcurrency,
      client: client.length === 1 ? "c" : "deno",
      mode: "paired",
      options: {
        duration: options.duration,
        warmup: options.warmup,
        connections: options.connections,
        inflight: options.inflight,
        size: options.size,
        rounds: options.rounds,
      },
      baseline: { name: base.name, description: base.description },
      servers: specs.map(({ name, description }) => ({ name, description })),
      summary: summaries,
      runs,
    };
    await writeReport(options.out, report);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) {
  await runMain(() => main(parseOptions(Deno.args)));
}
