/**
 * The load client of the loopback benchmark, run in its own process.
 *
 * Opens `--connections` connections to an echo server; on each it sends
 * `--inflight` messages of `--size` bytes, then every time `--size` bytes have
 * come back it sends one more, so that `--inflight` requests stay in flight.
 * After `--warmup` seconds it counts the echoed messages for `--duration`
 * seconds, then prints one JSON line (see `LoadResult`) and exits.
 *
 * It counts bytes rather than parsing messages, and answers everything one
 * read brought back with one write, so that it costs the same per read as
 * the server it measures.
 *
 * Run: `deno run -A bench/load_client.ts
 * --port PORT [--connections 50] [--inflight 16] [--size 64] [--warmup 1]
 * [--duration 5] [--server-pid PID] [--frame raw|line|netstring|int32]`.
 *
 * @module
 */

/** What the client prints, as one JSON line. */
export interface LoadResult {
  /** Which client measured: "deno" (this file) or "c" (bench/load_client.c). */
  client: "deno" | "c";
  /** Connections used. */
  connections: number;
  /** Requests kept in flight on each connection. */
  inflight: number;
  /** Message size in bytes. */
  size: number;
  /** Seconds measured (after the warm-up). */
  seconds: number;
  /** Requests completed (echoed messages) while measuring. */
  requests: number;
  /** Requests per second. */
  rps: number;
  /** Reads done by the client while measuring; requests / reads is how many messages a read brought back. */
  reads: number;
  /** CPU time of the client over the measured seconds, as a fraction of one core. */
  clientCpu: number;
  /** CPU time of the server process (`--server-pid`) over the measured seconds, as a fraction of one core; null without a pid. */
  serverCpu: number | null;
  /** Server CPU microseconds per request; null without a pid. */
  serverCpuUsPerRequest: number | null;
  /** CPU used by everything else on the machine over the measured seconds, in cores: interference. */
  otherCpu: number;
}

interface Options {
  host: string;
  port: number;
  connections: number;
  inflight: number;
  size: number;
  warmup: number;
  duration: number;
  serverPid: number | null;
  /** How each message is framed, for the echo server under test. */
  frame: Frame;
}

/** How messages are framed: as they are, as lines, netstrings, or with a 4-byte length. */
export type Frame = "raw" | "line" | "netstring" | "int32";

/** One message of `size` bytes, framed so that an echo server of that framing echoes it whole. */
export function frameMessage(frame: Frame, size: number): Uint8Array {
  const message = new Uint8Array(size);
  for (let i = 0; i < size; i++) message[i] = 0x61 + i % 26;
  if (frame === "line") {
    message.set([13, 10], size - 2);
  } else if (frame === "netstring") {
    let length = size - 3;
    while (String(length).length + length + 2 > size) length--;
    message.set(new TextEncoder().encode(`${length}:`));
    message[size - 1] = 0x2c;
  } else if (frame === "int32") {
    new DataView(message.buffer).setUint32(0, size - 4);
  }
  return message;
}

function parseOptions(args: string[]): Options {
  const options: Options = {
    host: "127.0.0.1",
    port: 0,
    connections: 50,
    inflight: 16,
    size: 64,
    warmup: 1,
    duration: 5,
    serverPid: null,
    frame: "raw",
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const value = args[++i];
    const num = Number(value);
    if (
      value === undefined ||
      (arg !== "--host" && arg !== "--frame" && !(num >= 0))
    ) {
      throw new TypeError(`Invalid value for ${arg}: ${value}`);
    }
    switch (arg) {
      case "--host":
        options.host = value;
        break;
      case "--port":
        options.port = num;
        break;
      case "--connections":
        options.connections = num;
        break;
      case "--inflight":
        options.inflight = num;
        break;
      case "--size":
        options.size = num;
        break;
      case "--warmup":
        options.warmup = num;
        break;
      case "--duration":
        options.duration = num;
        break;
      case "--server-pid":
        options.serverPid = num;
        break;
      case "--frame":
        if (!["raw", "line", "netstring", "int32"].includes(value)) {
          throw new TypeError(`Invalid value for --frame: ${value}`);
        }
        options.frame = value as Frame;
        break;
      default:
        throw new TypeError(`Unknown option: ${arg}`);
    }
  }
  if (options.port < 1) {
    throw new RangeError(`A --port is required: ${options.port}`);
  }
  if (options.host !== "127.0.0.1" && options.host !== "localhost") {
    throw new RangeError(`Loopback only: ${options.host}`);
  }
  return options;
}

const TICKS_PER_SECOND = 100; // USER_HZ: `getconf CLK_TCK` is 100 on Linux

/**
 * CPU seconds (user + system) a process has used so far, from /proc.
 *
 * @param pid A process id, or "self".
 * @returns Seconds of CPU.
 */
export function cpuSeconds(pid: number | "self"): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  // The command name (field 2) may hold spaces: count fields after its ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/**
 * Busy CPU seconds of the whole machine so far (all but idle and iowait).
 *
 * @returns Seconds of CPU, summed over the cores.
 */
export function machineBusySeconds(): number {
  // user nice system idle iowait irq softirq steal (guest time is within user).
  const v = machineTicks();
  return (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / TICKS_PER_SECOND;
}

/**
 * Seconds the whole machine has spent in irq and softirq so far (loopback
 * TCP is processed there).
 *
 * @returns Seconds of CPU, summed over the cores.
 */
export function irqSeconds(): number {
  const v = machineTicks();
  return (v[5] + v[6]) / TICKS_PER_SECOND;
}

// The figures of the "cpu" line of /proc/stat, in ticks.
function machineTicks(): number[] {
  const line = Deno.readTextFileSync("/proc/stat").split("\n", 1)[0];
  return line.trim().split(/\s+/).slice(1).map(Number);
}

let received = 0;
let reads = 0;
let running = true;

async function drive(
  conn: Deno.Conn,
  payload: Uint8Array,
  size: number,
): Promise<void> {
  const buf = new Uint8Array(64 * 1024);
  let partial = 0;
  try {
    await writeAll(conn, payload);
    while (running) {
      const n = await conn.read(buf);
      if (n === null) throw new Error("Server closed the connection");
      received += n;
      reads++;
      partial += n;
      const done = Math.floor(partial / size);
      if (done === 0) continue;
      partial -= done * size;
      if (running) await writeAll(conn, payload.subarray(0, done * size));
    }
  } catch (error) {
    if (running) throw error;
  }
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let off = 0;
  while (off < bytes.length) {
    off += await conn.write(off === 0 ? bytes : bytes.subarray(off));
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function main(options: Options): Promise<LoadResult> {
  const message = frameMessage(options.frame, options.size);
  const payload = new Uint8Array(options.inflight * options.size);
  for (let i = 0; i < options.inflight; i++) {
    payload.set(message, i * options.size);
  }
  const conns: Deno.TcpConn[] = [];
  for (let i = 0; i < options.connections; i++) {
    const conn = await Deno.connect({
      hostname: options.host,
      port: options.port,
    });
    conn.setNoDelay(true);
    conns.push(conn);
  }
  const drivers = conns.map((conn) => drive(conn, payload, options.size));
  let failure: unknown = null;
  const failed = Promise.race(drivers).then(
    () => {},
    (error) => {
      failure = error;
    },
  );
  await Promise.race([delay(options.warmup * 1000), failed]);
  const start = performance.now();
  const startReceived = received;
  const startReads = reads;
  const startCpu = cpuSeconds("self");
  const startServerCpu = options.serverPid === null
    ? 0
    : cpuSeconds(options.serverPid);
  const startBusy = machineBusySeconds();
  await Promise.race([delay(options.duration * 1000), failed]);
  const endCpu = cpuSeconds("self");
  const endServerCpu = options.serverPid === null
    ? 0
    : cpuSeconds(options.serverPid);
  const endBusy = machineBusySeconds();
  const seconds = (performance.now() - start) / 1000;
  const requests = Math.floor((received - startReceived) / options.size);
  const endReads = reads;
  running = false;
  for (const conn of conns) {
    try {
      conn.close();
    } catch {
      // Already closed.
    }
  }
  if (failure !== null) throw failure;
  const serverCpu = options.serverPid === null
    ? null
    : (endServerCpu - startServerCpu) / seconds;
  const otherCpu = (endBusy - startBusy - (endCpu - startCpu) -
    (endServerCpu - startServerCpu)) /
    seconds;
  return {
    client: "deno",
    connections: options.connections,
    inflight: options.inflight,
    size: options.size,
    seconds,
    requests,
    rps: requests / seconds,
    reads: endReads - startReads,
    clientCpu: (endCpu - startCpu) / seconds,
    serverCpu,
    serverCpuUsPerRequest: serverCpu === null
      ? null
      : (serverCpu * seconds * 1e6) / requests,
    otherCpu,
  };
}

if (import.meta.main) {
  const options = parseOptions(Deno.args);
  const deadline = setTimeout(() => {
    console.error("error: load client timed out");
    Deno.exit(3);
  }, (options.warmup + options.duration + 30) * 1000);
  try {
    console.log(JSON.stringify(await main(options)));
  } catch (error) {
    console.error(`error: ${error instanceof Error ? error.message : error}`);
    Deno.exit(1);
  }
  clearTimeout(deadline);
  Deno.exit(0);
}
