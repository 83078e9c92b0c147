// Inputs and decoders shared by framing_bench.ts and framing_throughput.ts:
// a byte stream of equal frames cut at pseudo-random (seeded, so every run
// sees the same cuts) chunk sizes, as reads from a socket would deliver it,
// and one function per decoding path that counts the frames it yields.

import { encodeIntN, IntNParser } from "../protocols/_int_n_parser.ts";
import {
  encodeNetstring,
  NetstringParser,
} from "../protocols/_netstring_parser.ts";
import { Int32StringReceiver } from "../protocols/int_n_string_receiver.ts";
import { IntNDecoderStream } from "../protocols/int_n_streams.ts";
import { NetstringReceiver } from "../protocols/netstring_receiver.ts";
import { NetstringDecoderStream } from "../protocols/netstring_streams.ts";
import { StringTransport } from "../testing/string_transport.ts";

export type Framing = "netstring" | "int32";

/** A pre-cut input: `chunks` hold `frames` frames, `bytes` bytes in all. */
export interface Corpus {
  framing: Framing;
  frameSize: number;
  chunks: Uint8Array[];
  bytes: number;
  frames: number;
}

/** Chunk sizes between 512 B and 64 KiB, from a fixed-seed generator. */
export function makeCorpus(
  framing: Framing,
  frameSize: number,
  totalBytes: number,
  seed = 0x5eed,
): Corpus {
  const payload = new Uint8Array(frameSize).fill(0x61);
  const frame = framing === "netstring"
    ? encodeNetstring(payload)
    : encodeIntN(payload, 4);
  const frames = Math.max(1, Math.floor(totalBytes / frame.length));
  const all = new Uint8Array(frames * frame.length);
  for (let i = 0; i < frames; i++) all.set(frame, i * frame.length);
  const chunks: Uint8Array[] = [];
  let state = seed;
  for (let at = 0; at < all.length;) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    const size = 512 + (state % (64 * 1024 - 512));
    // A copy per chunk, as each socket read is its own buffer.
    chunks.push(all.slice(at, at + size));
    at += size;
  }
  return { framing, frameSize, chunks, bytes: all.length, frames };
}

/** The sans-IO parser alone. */
export function decodeWithParser(corpus: Corpus): number {
  const parser = corpus.framing === "netstring"
    ? new NetstringParser()
    : new IntNParser(4);
  let count = 0;
  for (const chunk of corpus.chunks) {
    parser.push(chunk);
    while (parser.next() !== undefined) count++;
  }
  return count;
}

/** The Protocol path: dataReceived per chunk, stringReceived per frame. */
export function decodeWithReceiver(corpus: Corpus): number {
  let count = 0;
  const receiver = corpus.framing === "netstring"
    ? new (class extends NetstringReceiver {
      override stringReceived(): void {
        count++;
      }
    })()
    : new (class extends Int32StringReceiver {
      override stringReceived(): void {
        count++;
      }
    })();
  receiver.makeConnection(new StringTransport());
  for (const chunk of corpus.chunks) receiver.dataReceived(chunk);
  return count;
}

/** The Web-streams path, read with for await. */
export async function decodeWithStream(corpus: Corpus): Promise<number> {
  const decoder = corpus.framing === "netstring"
    ? new NetstringDecoderStream()
    : new IntNDecoderStream();
  let count = 0;
  for await (
    const _ of ReadableStream.from(corpus.chunks).pipeThrough(decoder)
  ) {
    count++;
  }
  return count;
}

/**
 * A naive reference decoder, the way Twisted's basic.py works: concatenate
 * each chunk onto the leftover buffer, cut frames out with copies.
 */
export function decodeNaively(corpus: Corpus): number {
  let buffer = new Uint8Array(0);
  let count = 0;
  for (const chunk of corpus.chunks) {
    const joined = new Uint8Array(buffer.length + chunk.length);
    joined.set(buffer);
    joined.set(chunk, buffer.length);
    let at = 0;
    for (;;) {
      let start: number;
      let length: number;
      if (corpus.framing === "netstring") {
        const colon = joined.indexOf(0x3a, at);
        if (colon < 0) break;
        length = 0;
        for (let i = at; i < colon; i++) {
          length = length * 10 + joined[i] - 0x30;
        }
        start = colon + 1;
        if (joined.length < start + length + 1) break;
        if (joined[start + length] !== 0x2c) throw new Error("Bad netstring");
        joined.slice(start, start + length);
        at = start + length + 1;
      } else {
        if (joined.length < at + 4) break;
        length = new DataView(joined.buffer, at, 4).getUint32(0);
        start = at + 4;
        if (joined.length < start + length) break;
        joined.slice(start, start + length);
        at = start + length;
      }
      count++;
    }
    buffer = joined.slice(at);
  }
  return count;
}
