/**
 * The baseline torsion is measured against: an echo server written straight
 * on `Deno.Conn`, one `conn.read()` → `conn.write()` loop per connection over
 * a buffer allocated once per connection.
 *
 * Run: `deno run --allow-net bench/raw_echo_server.ts [--port 0]
 * [--buffer 65536] [--readable]`. Prints `listening on tcp:PORT:interface=127.0.0.1`
 * and serves until SIGTERM/SIGINT.
 *
 * - `--buffer N`: the per-connection read buffer (default 64 KiB). With
 *   `--buffer 64` an idle connection holds only a pending 64-byte read: the
 *   floor for memory per idle connection.
 * - `--readable`: copy through `conn.readable` / `conn.writable` instead
 *   (a reference for memory per idle connection).
 *
 * @module
 */

import { closeQuietly, serveRaw } from "./_raw_server.ts";

interface Options {
  port: number;
  buffer: number;
  readable: boolean;
}

function parseOptions(args: string[]): Options {
  const options: Options = { port: 0, buffer: 64 * 1024, readable: false };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const value = (): number => {
      const n = Number(args[++i]);
      if (!Number.isInteger(n) || n < 0) {
        throw new TypeError(`Invalid value for ${arg}: ${args[i]}`);
      }
      return n;
    };
    if (arg === "--port") options.port = value();
    else if (arg === "--buffer") options.buffer = Math.max(1, value());
    else if (arg === "--readable") options.readable = true;
    else throw new TypeError(`Unknown option: ${arg}`);
  }
  return options;
}

async function copyLoop(conn: Deno.Conn, size: number): Promise<void> {
  const buf = new Uint8Array(size);
  try {
    while (true) {
      const n = await conn.read(buf);
      if (n === null) break;
      let off = 0;
      while (off < n) off += await conn.write(buf.subarray(off, n));
    }
  } catch {
    // The peer went away: nothing to report in a benchmark.
  } finally {
    closeQuietly(conn);
  }
}

async function copyStreams(conn: Deno.Conn): Promise<void> {
  try {
    await conn.readable.pipeTo(conn.writable);
  } catch {
    // The peer went away.
  }
}

if (import.meta.main) {
  const options = parseOptions(Deno.args);
  await serveRaw(
    options.port,
    (conn) =>
      options.readable ? copyStreams(conn) : copyLoop(conn, options.buffer),
  );
}
