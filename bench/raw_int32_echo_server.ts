/**
 * A reference for the framed echo benchmarks: an Int32 (4-byte big-endian
 * length prefix) echo written by hand on `Deno.Conn`, with no framework at
 * all. One loop per connection: `conn.read` into a buffer allocated once,
 * frames cut out in place (one `subarray` per frame, as a protocol would be
 * handed), each copied with its prefix into an output buffer allocated once,
 * then one `conn.write`. It shows what any framed echo in Deno can reach here,
 * so that torsion's `Int32StringReceiver` echo can be judged against it as
 * well as against the unframed raw copy.
 *
 * Run: `deno run --allow-net=127.0.0.1 bench/raw_int32_echo_server.ts
 * [--port 0]`. Prints `listening on tcp:PORT:interface=127.0.0.1` and serves
 * until SIGTERM/SIGINT.
 *
 * @module
 */

import { parseFlags } from "./_process.ts";
import { closeQuietly, serveRaw } from "./_raw_server.ts";

// Frames up to this size; a longer one closes the connection.
const MAX_FRAME = 60 * 1024;

// Where each frame goes, as a protocol's stringReceived would get it; kept
// out of line so that the view is really made.
let framesSeen = 0;
function frameReceived(frame: Uint8Array): void {
  if (frame.length >= 0) framesSeen++;
}

async function echoLoop(conn: Deno.Conn): Promise<void> {
  const input = new Uint8Array(64 * 1024);
  const output = new Uint8Array(64 * 1024);
  let held = 0; // bytes of an unfinished frame at the start of `input`
  try {
    while (true) {
      const n = await conn.read(input.subarray(held));
      if (n === null) break;
      const end = held + n;
      let at = 0;
      let out = 0;
      while (at + 4 <= end) {
        const length = input[at] * 0x1000000 +
          ((input[at + 1] << 16) | (input[at + 2] << 8) | input[at + 3]);
        if (length > MAX_FRAME) throw new RangeError("Frame too long");
        if (at + 4 + length > end) break;
        const frame = input.subarray(at + 4, at + 4 + length);
        frameReceived(frame);
        output[out] = length >>> 24;
        output[out + 1] = (length >>> 16) & 0xff;
        output[out + 2] = (length >>> 8) & 0xff;
        output[out + 3] = length & 0xff;
        output.set(frame, out + 4);
        out += 4 + length;
        at += 4 + length;
      }
      if (at < end) input.copyWithin(0, at, end);
      held = end - at;
      let sent = 0;
      while (sent < out) sent += await conn.write(output.subarray(sent, out));
    }
  } catch {
    // The peer went away, or sent a frame too long: nothing to report here.
  } finally {
    closeQuietly(conn);
  }
}

if (import.meta.main) {
  const { port } = parseFlags(Deno.args, { port: 0 });
  await serveRaw(port, echoLoop);
}
