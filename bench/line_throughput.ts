// Line framing throughput in MB/s and lines/s (`deno bench bench/line_bench.ts`
// times the same decoders, per iteration). Lines of 64 B and 1 KiB, read in
// random chunks of 1-64 KiB; each decoder returns the number of lines found.
//
//   deno run bench/line_throughput.ts

import { LineParser } from "../protocols/_line_parser.ts";
import { LineReceiver } from "../protocols/line_receiver.ts";
import { LineDecoderStream } from "../protocols/line_streams.ts";
import { LineTooLongError } from "../protocols/line_too_long_error.ts";
import { StringTransport } from "../testing/string_transport.ts";

/** Bytes parsed per iteration. */
export const BYTES = 8 * 1024 * 1024;
const CRLF = new Uint8Array([13, 10]);

// A fixed seed, so every run reads the same chunks.
function random(seed: number): () => number {
  return () => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed / 2 ** 32;
  };
}

/** BYTES bytes of lines of `lineLength` bytes (CRLF-terminated), in chunks. */
export function makeChunks(lineLength: number): Uint8Array[] {
  const next = random(lineLength);
  const data = new Uint8Array(BYTES);
  for (let i = 0; i < BYTES; i++) data[i] = 32 + Math.floor(next() * 95);
  for (let end = lineLength; end + 2 <= BYTES; end += lineLength + 2) {
    data.set(CRLF, end);
  }
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < BYTES;) {
    const size = 1024 + Math.floor(next() * 63 * 1024);
    chunks.push(data.slice(i, i + size)); // each read has its own buffer
    i += size;
  }
  return chunks;
}

class CountingReceiver extends LineReceiver {
  lines = 0;
  override lineBytesReceived(_line: Uint8Array): void {
    this.lines++;
  }
}

/** Each returns the number of lines it found. */
export const decoders: Record<
  string,
  (chunks: Uint8Array[]) => number | Promise<number>
> = {
  "LineParser.next": (chunks) => {
    const parser = new LineParser(CRLF, 16384);
    let lines = 0;
    for (const chunk of chunks) {
      parser.feed(chunk);
      for (let line; (line = parser.next()) !== null;) {
        if (line instanceof LineTooLongError) throw line;
        lines++;
      }
    }
    return lines;
  },
  "LineReceiver.lineBytesReceived": (chunks) => {
    const proto = new CountingReceiver();
    proto.makeConnection(new StringTransport());
    for (const chunk of chunks) proto.dataReceived(chunk);
    return proto.lines;
  },
  "LineDecoderStream": async (chunks) => {
    let lines = 0;
    const stream = ReadableStream.from(chunks).pipeThrough(
      new LineDecoderStream(),
    );
    for await (const _ of stream) lines++;
    return lines;
  },
  "naive (concatenate per chunk, copy per line)": (chunks) => {
    let lines = 0;
    let buffer = new Uint8Array(0);
    for (const chunk of chunks) {
      const joined = new Uint8Array(buffer.length + chunk.length);
      joined.set(buffer);
      joined.set(chunk, buffer.length);
      let start = 0;
      for (;;) {
        const at = joined.indexOf(13, start);
        if (at === -1 || at + 1 >= joined.length) break;
        if (joined[at + 1] !== 10) {
          start = at + 1;
          continue;
        }
        joined.slice(start, at);
        lines++;
        start = at + 2;
      }
      buffer = joined.slice(start);
    }
    return lines;
  },
};

async function measure(
  decode: (chunks: Uint8Array[]) => number | Promise<number>,
  chunks: Uint8Array[],
): Promise<{ mbps: number; lps: number }> {
  for (let i = 0; i < 3; i++) await decode(chunks); // warm up
  let bytes = 0;
  let lines = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < 2000) {
    lines += await decode(chunks);
    bytes += BYTES;
    elapsed = performance.now() - start;
  }
  return { mbps: bytes / elapsed / 1e3, lps: lines / elapsed * 1e3 };
}

if (import.meta.main) {
  for (const lineLength of [64, 1024]) {
    const chunks = makeChunks(lineLength);
    for (const [name, decode] of Object.entries(decoders)) {
      const { mbps, lps } = await measure(decode, chunks);
      console.log(
        `${lineLength} B lines  ${name.padEnd(46)} ${
          mbps.toFixed(0).padStart(6)
        } MB/s ${(lps / 1e6).toFixed(2).padStart(7)} M lines/s`,
      );
    }
  }
}
