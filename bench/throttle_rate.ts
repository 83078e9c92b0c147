/**
 * Throttle accuracy on loopback, on real time: a `ThrottlingFactory` with a
 * write limit sends to a client that reads as fast as it can, and one with a
 * read limit takes from a client that floods it; each side measures the
 * rate over `--seconds` (default 3) after the first chunk. Target: within
 * 10% of the limit. (The deterministic, exact per-slice checks are in
 * tests/protocols/policies/throttling_factory_test.ts, on the fake clock.)
 *
 * Run (from the repository root):
 * `deno run --allow-net=127.0.0.1 bench/throttle_rate.ts [--limit BYTES_PER_S]... [--seconds 3]`
 * Exits 1 if a rate is off by 10% or more.
 *
 * @module
 */

import { Factory, listen, type ListeningPort, Protocol } from "../mod.ts";
import {
  ThrottlingFactory,
  type ThrottlingOptions,
} from "../protocols/policies/mod.ts";

const MiB = 1024 * 1024;

function option(name: string, fallback: number): number[] {
  const values: number[] = [];
  for (let i = 0; i < Deno.args.length; i++) {
    if (Deno.args[i] === `--${name}`) values.push(Number(Deno.args[++i]));
  }
  return values.length > 0 ? values : [fallback];
}

const seconds = option("seconds", 3)[0];
const limits = option("limit", MiB).concat(
  Deno.args.includes("--limit") ? [] : [10 * MiB, 100 * 1024],
);

/** Serve `protocol` throttled on loopback, and connect a plain client to it. */
async function throttled(
  protocol: new () => Protocol,
  options: ThrottlingOptions,
): Promise<{ port: ListeningPort; conn: Deno.TcpConn }> {
  const factory = new ThrottlingFactory(Factory.forProtocol(protocol), options);
  const port = await listen("tcp:0:interface=127.0.0.1", factory);
  const conn = await Deno.connect({
    hostname: "127.0.0.1",
    port: (port.addr as Deno.NetAddr).port,
  });
  return { port, conn };
}

async function writeRate(limit: number): Promise<number> {
  const total = Math.ceil(limit * (seconds + 1));
  class Sender extends Protocol {
    override connectionMade(): void {
      this.transport!.write(new Uint8Array(total));
      this.transport!.loseConnection();
    }
  }
  const { port, conn } = await throttled(Sender, { writeLimit: limit });
  const buffer = new Uint8Array(256 * 1024);
  let got = 0;
  let start = 0;
  let first = 0;
  let end = 0;
  let atEnd = 0;
  while (true) {
    const n = await conn.read(buffer);
    if (n === null) break;
    const now = performance.now();
    if (start === 0) [start, first] = [now, n];
    got += n;
    if (end === 0 && now - start >= seconds * 1000) [end, atEnd] = [now, got];
  }
  conn.close();
  await port.close();
  return (atEnd - first) / ((end - start) / 1000);
}

async function readRate(limit: number): Promise<number> {
  const { promise, resolve } = Promise.withResolvers<number>();
  let got = 0;
  let start = 0;
  let first = 0;
  class Sink extends Protocol {
    override dataReceived(data: Uint8Array): void {
      const now = performance.now();
      if (start === 0) [start, first] = [now, data.length];
      got += data.length;
      if (now - start >= seconds * 1000) {
        resolve((got - data.length - first) / ((now - start) / 1000));
        this.transport!.abortConnection();
      }
    }
  }
  const { port, conn } = await throttled(Sink, { readLimit: limit });
  const data = new Uint8Array(Math.ceil(limit * (seconds + 2)));
  const flood = (async () => {
    for (let offset = 0; offset < data.length;) {
      offset += await conn.write(data.subarray(offset));
    }
  })().catch(() => {});
  const rate = await promise;
  conn.close();
  await flood;
  await port.close({ timeout: 100 });
  return rate;
}

let failed = false;
console.log("limit B/s      write B/s (error)      read B/s (error)");
for (const limit of limits) {
  const write = await writeRate(limit);
  const read = await readRate(limit);
  const error = (rate: number) => (rate / limit - 1) * 100;
  failed ||= Math.abs(error(write)) >= 10 || Math.abs(error(read)) >= 10;
  console.log(
    `${String(limit).padEnd(14)} ${write.toFixed(0).padStart(10)} (${
      error(write).toFixed(2)
    }%)  ${read.toFixed(0).padStart(10)} (${error(read).toFixed(2)}%)`,
  );
}
if (failed) Deno.exit(1);
