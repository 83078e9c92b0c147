/**
 * Requests per second of the runner with `--workers 2` against `--workers 1`
 * (and against serving in one process, `single`), on the echo example.
 *
 * For each round and configuration: start `cli.ts serve examples/echo.ts
 * tcp:PORT --workers N`, wait for its `listening on` line and read the
 * workers' pids from its log, run the load client of bench/loopback.ts
 * (bench/load_client.c when a C compiler is there, else bench/load_client.ts)
 * for `--warmup` + `--duration` seconds, sum the CPU the supervisor and its
 * workers used over the measured seconds, stop the server with SIGTERM.
 *
 * On a 2-core machine the client competes with the workers for the same two
 * cores, so `--workers 2` cannot double the throughput; the table shows the
 * CPU each side used so the figures can be read honestly. `--pin client`
 * puts the client on core 0 (the workers still run anywhere); `--pin none`
 * (the default) lets the kernel place everything.
 *
 * Run (from the repository root; `-A` because reading another process's
 * `/proc/PID/stat` needs it):
 * `deno run -A bench/workers.ts
 * [--configs single,1,2] [--rounds 3] [--duration 5] [--warmup 1]
 * [--connections 50] [--inflight 16] [--size 64] [--client auto|c|deno]
 * [--pin none|client] [--work US] [--out bench/results/workers.json]`
 *
 * @module
 */

import { Factory } from "../protocols/factory.ts";
import { Protocol } from "../protocols/protocol.ts";
import { cpuSeconds, irqSeconds, machineBusySeconds } from "./load_client.ts";
import {
  delay,
  deno,
  fmt,
  parseFlags,
  quietestRun,
  root,
  writeReport,
} from "./_process.ts";
import { loadClient, LOOPBACK_CHECKS, median } from "./_load.ts";
import type { LoadResult } from "./load_client.ts";

// The server of `--work US` (this file is then the module `cli.ts serve`
// loads): echo, after spinning US µs of CPU per request of `--size` bytes,
// a stand-in for a protocol that does real work per request.
const WORK_MS = Number(Deno.env.get("TORSION_BENCH_WORK") ?? 0) / 1000;
const SIZE = Number(Deno.env.get("TORSION_BENCH_SIZE") ?? 64);

class BusyEcho extends Protocol {
  #partial = 0;
  override dataReceived(data: Uint8Array): void {
    this.#partial += data.length;
    const requests = Math.floor(this.#partial / SIZE);
    this.#partial -= requests * SIZE;
    const until = performance.now() + requests * WORK_MS;
    while (performance.now() < until) { /* work */ }
    this.transport!.write(data);
  }
}

/** The `--work` server's factory. */
export const factory: Factory<BusyEcho> = Factory.forProtocol(BusyEcho);

const DEFAULTS = {
  configs: ["single", "1", "2"],
  rounds: 3,
  duration: 5,
  warmup: 1,
  connections: 50,
  inflight: 16,
  size: 64,
  client: "auto" as "auto" | "c" | "deno",
  pin: "none" as "none" | "client",
  out: "bench/results/workers.json",
  maxOther: 0.15,
  retries: 3,
  work: 0,
};
type Options = typeof DEFAULTS;

function parseOptions(args: string[]): Options {
  return parseFlags(args, DEFAULTS, {
    configs: (configs) =>
      configs.every((c) => c === "single" || /^\d+$/.test(c)),
    client: LOOPBACK_CHECKS.client,
    pin: (pin) => pin === "none" || pin === "client",
  });
}

interface Server {
  child: Deno.ChildProcess;
  port: number;
  /** The supervisor (or the single process) and its workers. */
  pids: number[];
}

async function startServer(config: string, options: Options): Promise<Server> {
  const free = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (free.addr as Deno.NetAddr).port;
  free.close();
  const workers = config === "single" ? [] : ["--workers", config];
  const module = options.work > 0 ? "bench/workers.ts" : "examples/echo.ts";
  const args = ["run", "-A", "cli.ts", "serve", module];
  args.push(`tcp:${port}:interface=127.0.0.1`, ...workers);
  const child = new Deno.Command(deno, {
    args,
    cwd: root,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: {
      NO_COLOR: "1",
      TORSION_BENCH_WORK: String(options.work),
      TORSION_BENCH_SIZE: String(options.size),
    },
  }).spawn();
  // Listening on stdout; the workers' pids in the supervisor's log on stderr.
  const seen = { stdout: "", stderr: "" };
  const drain = (name: "stdout" | "stderr") =>
    (async () => {
      for await (
        const text of child[name].pipeThrough(new TextDecoderStream())
      ) {
        seen[name] += text;
      }
    })();
  const drained = [drain("stdout"), drain("stderr")];
  const deadline = Date.now() + 20_000;
  const ready = (): boolean =>
    seen.stdout.includes("listening on") &&
    (config === "single" || /workers listening .*pids=\[/.test(seen.stderr));
  while (!ready()) {
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      await Promise.all(drained);
      throw new Error(`Server did not start:\n${seen.stderr}`);
    }
    await delay(20);
  }
  const pids = /pids=\[([\d,]+)\]/.exec(seen.stderr)?.[1].split(",") ?? [];
  return { child, port, pids: [child.pid, ...pids.map(Number)] };
}

async function stopServer(server: Server): Promise<void> {
  server.child.kill("SIGTERM");
  const timer = setTimeout(() => server.child.kill("SIGKILL"), 15_000);
  await server.child.status;
  clearTimeout(timer);
}

interface Run {
  round: number;
  config: string;
  rps: number;
  clientCpu: number;
  /** Supervisor + workers, in cores, over the measured seconds. */
  serverCpu: number;
  /** Kernel time in interrupts (loopback TCP is processed there), in cores. */
  irqCpu: number;
  /** Everything else on the machine (other processes), in cores. */
  otherCpu: number;
}

async function measure(
  client: string[],
  server: Server,
  options: Options,
): Promise<Omit<Run, "round" | "config">> {
  const { connections, inflight, size, warmup, duration } = options;
  const flags = {
    port: server.port,
    connections,
    inflight,
    size,
    warmup,
    duration,
  };
  const clientArgs = [
    ...client.slice(1),
    ...Object.entries(flags).flatMap((
      [key, value],
    ) => [`--${key}`, `${value}`]),
  ];
  const [cmd, args] = options.pin === "client"
    ? ["taskset", ["-c", "0", client[0], ...clientArgs]]
    : [client[0], clientArgs];
  const running = new Deno.Command(cmd, {
    args,
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(
      (options.warmup + options.duration + 30) * 1000,
    ),
  }).output();
  // The client's own window starts after it connected and warmed up; this
  // one is close enough for CPU shares.
  await delay(options.warmup * 1000 + 200);
  const serverCpu = () =>
    server.pids.reduce((s, pid) => s + cpuSeconds(pid), 0);
  const sample = () =>
    [serverCpu(), machineBusySeconds(), irqSeconds(), Date.now()] as const;
  const [server0, busy0, irq0, t0] = sample();
  await delay(options.duration * 1000 - 400);
  const [server1, busy1, irq1, t1] = sample();
  const out = await running;
  if (!out.success) {
    throw new Error(
      `Load client failed: ${new TextDecoder().decode(out.stderr)}`,
    );
  }
  const text = new TextDecoder().decode(out.stdout).trim().split("\n").at(-1)!;
  const result = JSON.parse(text) as LoadResult;
  const seconds = (t1 - t0) / 1000;
  const serverCpu1 = (server1 - server0) / seconds;
  const irqCpu = (irq1 - irq0) / seconds;
  const busy = (busy1 - busy0) / seconds;
  return {
    rps: result.rps,
    clientCpu: result.clientCpu,
    serverCpu: serverCpu1,
    irqCpu,
    otherCpu: Math.max(0, busy - serverCpu1 - result.clientCpu - irqCpu),
  };
}

const label = (config: string): string =>
  config === "single" ? "single process" : `--workers ${config}`;

async function main(options: Options): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "torsion-workers-" });
  const runs: Run[] = [];
  try {
    const client = await loadClient(options.client, dir);
    const clientName = client.length === 1 ? "c" : "deno";
    console.error(
      `workers: echo${
        options.work ? ` + ${options.work} µs of CPU per request` : ""
      }, ${options.connections} connections × ${options.inflight} in flight × ` +
        `${options.size} B, ${options.warmup} s + ${options.duration} s, ${options.rounds} round(s), ` +
        `${clientName} client, pin ${options.pin}, ${navigator.hardwareConcurrency} cores`,
    );
    for (let round = 0; round < options.rounds; round++) {
      const order = round % 2
        ? [...options.configs].reverse()
        : options.configs;
      for (const config of order) {
        const best = await quietestRun(options, async () => {
          const server = await startServer(config, options);
          let run: Run;
          try {
            run = { round, config, ...await measure(client, server, options) };
          } finally {
            await stopServer(server);
          }
          console.error(
            `  round ${round + 1} ${label(config).padEnd(14)} ${
              fmt(run.rps).padStart(9)
            } req/s server ${fmt(run.serverCpu * 100)}% client ${
              fmt(run.clientCpu * 100)
            }% irq ${fmt(run.irqCpu * 100)}% other ${fmt(run.otherCpu, 2)}` +
              (run.otherCpu > options.maxOther ? " (disturbed)" : ""),
          );
          return run;
        });
        runs.push(best);
      }
    }
    const base = options.configs.includes("1") ? "1" : options.configs[0];
    const rows = options.configs.map((config) => {
      const mine = runs.filter((r) => r.config === config);
      const ratios = mine.map((r) =>
        r.rps / runs.find((b) => b.config === base && b.round === r.round)!.rps
      );
      return {
        config,
        rps: median(mine.map((r) => r.rps)),
        rounds: mine.map((r) => Math.round(r.rps)),
        ratio: median(ratios),
        serverCpu: median(mine.map((r) => r.serverCpu)),
        clientCpu: median(mine.map((r) => r.clientCpu)),
        irqCpu: median(mine.map((r) => r.irqCpu)),
        otherCpu: median(mine.map((r) => r.otherCpu)),
      };
    });
    const cells = (r: typeof rows[number]): string[] => [
      label(r.config),
      fmt(r.rps),
      r.rounds.map((x) => fmt(x / 1000) + "k").join(" "),
      fmt(r.ratio, 2),
      ...[r.serverCpu, r.clientCpu, r.irqCpu].map((c) => `${fmt(c * 100)}%`),
      fmt(r.otherCpu, 2),
    ];
    const head = ["server", "req/s (median)", "per round", `÷ ${label(base)}`];
    head.push("server CPU", "client CPU", "irq CPU", "other CPU");
    for (const row of [head, head.map(() => "---"), ...rows.map(cells)]) {
      console.log(`| ${row.join(" | ")} |`);
    }
    const report = {
      date: new Date().toISOString(),
      deno: Deno.version.deno,
      cores: navigator.hardwareConcurrency,
      client: clientName,
      options,
      summary: rows,
      runs,
    };
    await writeReport(options.out, report);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) await main(parseOptions(Deno.args));
