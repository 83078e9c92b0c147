/**
 * References for the framed echo benchmarks: an echo of int32, netstring or
 * CR LF line frames written by hand on `Deno.Conn`, with no framework at all.
 * One loop per connection: `conn.read` into a buffer allocated once, frames
 * cut out in place (one view per frame, as a protocol would be handed), each
 * copied with its framing into an output buffer allocated once, then one
 * `conn.write`, awaited before the next read. It shows what any echo of that
 * framing can reach in Deno here, so that torsion's receivers can be judged
 * against it as well as against the unframed raw copy.
 *
 * Run: `deno run --allow-net=127.0.0.1 bench/raw_framed_echo_server.ts
 * [--frame int32|netstring|line] [--port 0]`. Prints `listening on
 * tcp:PORT:interface=127.0.0.1` and serves until SIGTERM/SIGINT.
 *
 * @module
 */

import { parseFlags } from "./_process.ts";
import { closeQuietly, serveRaw } from "./_raw_server.ts";

// Frames up to this size; a longer one closes the connection.
const MAX_FRAME = 60 * 1024;

// Where each frame goes, as a protocol's hook would get it; kept out of line
// so that the view is really made.
let framesSeen = 0;
function frameReceived(frame: Uint8Array): void {
  if (frame.length >= 0) framesSeen++;
}

/**
 * One framing: `frameEnd` finds the frame starting at `input[at]` (its
 * payload's bounds go to `bounds`), `put` writes a payload framed into
 * `output` at `out` and returns where it ends.
 */
interface Framing {
  /** The frame's end, or -1 when it is not all in `input[..end)`. */
  frameEnd(
    input: Uint8Array,
    at: number,
    end: number,
    bounds: number[],
  ): number;
  put(output: Uint8Array, out: number, payload: Uint8Array): number;
}

const COLON = 0x3a;
const COMMA = 0x2c;

const FRAMINGS: Record<string, Framing> = {
  int32: {
    frameEnd(input, at, end, bounds) {
      if (at + 4 > end) return -1;
      const length = input[at] * 0x1000000 +
        ((input[at + 1] << 16) | (input[at + 2] << 8) | input[at + 3]);
      if (length > MAX_FRAME) throw new RangeError("Frame too long");
      bounds[0] = at + 4;
      bounds[1] = at + 4 + length;
      return bounds[1] <= end ? bounds[1] : -1;
    },
    put(output, out, payload) {
      const length = payload.length;
      output[out] = length >>> 24;
      output[out + 1] = (length >>> 16) & 0xff;
      output[out + 2] = (length >>> 8) & 0xff;
      output[out + 3] = length & 0xff;
      output.set(payload, out + 4);
      return out + 4 + length;
    },
  },
  netstring: {
    frameEnd(input, at, end, bounds) {
      let i = at;
      let length = 0;
      for (; i < end && input[i] !== COLON; i++) {
        length = length * 10 + input[i] - 0x30;
      }
      if (length > MAX_FRAME) throw new RangeError("Frame too long");
      bounds[0] = i + 1;
      bounds[1] = i + 1 + length;
      return bounds[1] < end ? bounds[1] + 1 : -1;
    },
    put(output, out, payload) {
      const digits = String(payload.length);
      for (let i = 0; i < digits.length; i++) {
        output[out++] = digits.charCodeAt(i);
      }
      output[out++] = COLON;
      output.set(payload, out);
      out += payload.length;
      output[out] = COMMA;
      return out + 1;
    },
  },
  line: {
    frameEnd(input, at, end, bounds) {
      const cr = input.indexOf(13, at);
      if (cr === -1 || cr + 1 >= end) {
        if (end - at > MAX_FRAME) throw new RangeError("Line too long");
        return -1;
      }
      bounds[0] = at;
      bounds[1] = cr;
      return cr + 2; // CR LF
    },
    put(output, out, payload) {
      output.set(payload, out);
      out += payload.length;
      output[out] = 13;
      output[out + 1] = 10;
      return out + 2;
    },
  },
};

function echoLoop(framing: Framing): (conn: Deno.Conn) => Promise<void> {
  return async (conn) => {
    const input = new Uint8Array(64 * 1024);
    const output = new Uint8Array(64 * 1024);
    const bounds = [0, 0];
    let held = 0; // bytes of an unfinished frame at the start of `input`
    try {
      while (true) {
        const n = await conn.read(input.subarray(held));
        if (n === null) break;
        const end = held + n;
        // What was read, so that a search stops at its end.
        const data = input.subarray(0, end);
        let at = 0;
        let out = 0;
        for (
          let next = framing.frameEnd(data, at, end, bounds);
          next !== -1;
          next = framing.frameEnd(data, at, end, bounds)
        ) {
          const frame = data.subarray(bounds[0], bounds[1]);
          frameReceived(frame);
          out = framing.put(output, out, frame);
          at = next;
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
  };
}

if (import.meta.main) {
  const { port, frame } = parseFlags(Deno.args, { port: 0, frame: "int32" }, {
    frame: (name) => name in FRAMINGS,
  });
  await serveRaw(port, echoLoop(FRAMINGS[frame]));
}
