// The decoder streams side by side with the Deno standard library's line
// splitters (@std/streams `DelimiterStream`, and `TextLineStream` after
// `TextDecoderStream`), all on the same inputs in the same process: lines of
// 64 B and 1 KiB (plus CRLF) of printable ASCII, the same lines with some
// non-ASCII UTF-8 text, and netstring / Int32-prefixed frames of 64 B and
// 1 KiB; 8 MiB per run, read in pseudo-random chunks (1-64 KiB for lines,
// 512 B-64 KiB for frames), each its own buffer, consumed with `for await`.
//
//   deno run --allow-sys=loadavg bench/streams_bench.ts [--runs 15]
//     prints best and median MB/s per stream; the candidates of one input take
//     turns run after run, so a busy spell of the machine hits them alike
//   deno bench bench/streams_bench.ts
//     the same decoders, time per 8 MiB
//
// The two std streams are reference reimplementations, written here from their
// algorithms in @std/streams 1.0 (no dependency): a byte-by-byte
// Knuth-Morris-Pratt scan that hands out views and concatenates a line split
// across chunks (`DelimiterStream`), and `indexOf("\n")` plus two `slice`s per
// line on the decoded text (`TextLineStream`).

import { type Corpus, type Framing, makeCorpus } from "./_framing_fixtures.ts";
import { IntNDecoderStream } from "../protocols/int_n_streams.ts";
import {
  LineDecoderStream,
  TextLineDecoderStream,
} from "../protocols/line_streams.ts";
import { NetstringDecoderStream } from "../protocols/netstring_streams.ts";

const BYTES = 8 * 1024 * 1024;
const CRLF = new Uint8Array([13, 10]);

// ---------------------------------------------------------------------------
// Reference reimplementation of @std/streams DelimiterStream (disposition
// "discard", its default). Not the std source: the same algorithm.

function concatBytes(parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Reference reimplementation of std's `DelimiterStream` (discard mode). */
export class StdDelimiterStream
  extends TransformStream<Uint8Array, Uint8Array> {
  #parts: Uint8Array[] = [];
  #delimiter: Uint8Array;
  #lps: Uint8Array;
  #matched = 0;

  constructor(delimiter: Uint8Array) {
    super({
      transform: (chunk, controller): void => {
        if (this.#delimiter.length === 1) this.#splitByte(chunk, controller);
        else this.#split(chunk, controller);
      },
      flush: (controller): void => {
        const parts = this.#parts;
        controller.enqueue(
          parts.length === 0
            ? new Uint8Array()
            : parts.length === 1
            ? parts[0]
            : concatBytes(parts),
        );
      },
    });
    this.#delimiter = delimiter;
    this.#lps = new Uint8Array(delimiter.length);
    for (let i = 1, k = 0; i < delimiter.length;) {
      if (delimiter[i] === delimiter[k]) this.#lps[i++] = ++k;
      else if (k !== 0) k = this.#lps[k - 1];
      else this.#lps[i++] = 0;
    }
  }

  #split(
    chunk: Uint8Array,
    controller: TransformStreamDefaultController<Uint8Array>,
  ): void {
    const parts = this.#parts;
    const delimiter = this.#delimiter;
    const d = delimiter.length;
    let start = 0;
    let matched = this.#matched;
    let i = 0;
    while (i < chunk.length) {
      if (chunk[i] === delimiter[matched]) {
        i++;
        matched++;
        if (matched === d) {
          matched = 0;
          const end = i - d; // negative: the delimiter began in `parts`
          if (end <= 0 && parts.length === 0) {
            controller.enqueue(new Uint8Array());
          } else if (end > 0 && parts.length === 0) {
            controller.enqueue(chunk.subarray(start, end));
          } else if (end === 0) {
            controller.enqueue(
              parts.length === 1 ? parts[0] : concatBytes(parts),
            );
            parts.length = 0;
          } else if (end < 0) {
            const last = parts[parts.length - 1];
            parts[parts.length - 1] = last.subarray(0, last.length + end);
            controller.enqueue(
              parts.length === 1 ? parts[0] : concatBytes(parts),
            );
            parts.length = 0;
          } else {
            const line = concatBytes([...parts, chunk.subarray(start, end)]);
            parts.length = 0;
            controller.enqueue(line);
          }
          start = i;
        }
      } else if (matched === 0) {
        i++;
      } else {
        matched = this.#lps[matched - 1];
      }
    }
    this.#matched = matched;
    if (start === 0) parts.push(chunk);
    else if (start < chunk.length) parts.push(chunk.subarray(start));
  }

  #splitByte(
    chunk: Uint8Array,
    controller: TransformStreamDefaultController<Uint8Array>,
  ): void {
    const parts = this.#parts;
    const byte = this.#delimiter[0];
    let start = 0;
    for (let i = 0; i < chunk.length; i++) {
      if (chunk[i] !== byte) continue;
      if (parts.length === 0) {
        controller.enqueue(chunk.subarray(start, i));
      } else {
        const line = concatBytes([...parts, chunk.subarray(start, i)]);
        parts.length = 0;
        controller.enqueue(line);
      }
      start = i + 1;
    }
    if (start === 0) parts.push(chunk);
    else if (start < chunk.length) parts.push(chunk.subarray(start));
  }
}

// ---------------------------------------------------------------------------
// Reference reimplementation of @std/streams TextLineStream (allowCR false,
// its default): "\n" or "\r\n" ends a line. Not the std source: the same
// algorithm.

/** Reference reimplementation of std's `TextLineStream`. */
export class StdTextLineStream extends TransformStream<string, string> {
  #rest = "";

  constructor() {
    super({
      transform: (text, controller): void => {
        text = this.#rest + text;
        for (;;) {
          const lf = text.indexOf("\n");
          if (lf === -1) break;
          const end = text[lf - 1] === "\r" ? lf - 1 : lf;
          controller.enqueue(text.slice(0, end));
          text = text.slice(lf + 1);
        }
        this.#rest = text;
      },
      flush: (controller): void => {
        if (this.#rest !== "") controller.enqueue(this.#rest);
      },
    });
  }
}

// ---------------------------------------------------------------------------
// Inputs.

// A fixed seed, so every run reads the same chunks.
function random(seed: number): () => number {
  return () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32;
  };
}

interface LineCorpus {
  name: string;
  chunks: Uint8Array[];
  bytes: number;
  /** CRLFs in the input. */
  delimiters: number;
  /** Whether bytes follow the last CRLF. */
  rest: boolean;
}

// Lines of `lineLength` characters and CRLF. `text`: one character in eight is
// é, € or 𝄞 (2, 3, 4 bytes in UTF-8), so a line holds more bytes than
// characters; otherwise printable ASCII.
function makeLines(lineLength: number, text: boolean): LineCorpus {
  const next = random(lineLength + (text ? 1 : 0));
  const encoder = new TextEncoder();
  const others = ["é", "€", "𝄞"].map((c) => encoder.encode(c));
  const data = new Uint8Array(BYTES);
  let at = 0;
  let delimiters = 0;
  let column = 0;
  while (at < BYTES) {
    if (column === lineLength) {
      if (at + 2 > BYTES) break;
      data.set(CRLF, at);
      at += 2;
      delimiters++;
      column = 0;
      continue;
    }
    const r = next();
    if (text && r < 0.125) {
      const c = others[Math.floor(r * 24)];
      if (at + c.length > BYTES) break;
      data.set(c, at);
      at += c.length;
    } else {
      data[at++] = 32 + Math.floor(next() * 95);
    }
    column++;
  }
  const all = data.subarray(0, at);
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < all.length;) {
    const size = 1024 + Math.floor(next() * 63 * 1024);
    chunks.push(all.slice(i, i + size)); // each read has its own buffer
    i += size;
  }
  const name = text
    ? `UTF-8 ${lineLength}-char lines`
    : `ASCII ${lineLength} B lines`;
  return { name, chunks, bytes: at, delimiters, rest: column !== 0 };
}

// ---------------------------------------------------------------------------
// Decoders: each returns the number of chunks read from its output.

async function count<T>(stream: ReadableStream<T>): Promise<number> {
  let n = 0;
  for await (const _ of stream) n++;
  return n;
}

interface Candidate<C> {
  name: string;
  run(corpus: C): Promise<number>;
  expected(corpus: C): number;
}

const lineCandidates: Candidate<LineCorpus>[] = [
  {
    name: "LineDecoderStream",
    run: (c) =>
      count(ReadableStream.from(c.chunks).pipeThrough(new LineDecoderStream())),
    expected: (c) => c.delimiters + (c.rest ? 1 : 0),
  },
  {
    name: "std DelimiterStream (ref)",
    run: (c) =>
      count(
        ReadableStream.from(c.chunks).pipeThrough(new StdDelimiterStream(CRLF)),
      ),
    expected: (c) => c.delimiters + 1,
  },
  {
    name: "TextLineDecoderStream",
    run: (c) =>
      count(
        ReadableStream.from(c.chunks).pipeThrough(new TextLineDecoderStream()),
      ),
    expected: (c) => c.delimiters + (c.rest ? 1 : 0),
  },
  {
    name: "std TextDecoderStream+TextLineStream (ref)",
    run: (c) =>
      count(
        ReadableStream.from(c.chunks)
          .pipeThrough(new TextDecoderStream())
          .pipeThrough(new StdTextLineStream()),
      ),
    expected: (c) => c.delimiters + (c.rest ? 1 : 0),
  },
];

const frameCandidates: Candidate<Corpus>[] = [
  {
    name: "NetstringDecoderStream",
    run: (c) =>
      count(
        ReadableStream.from(c.chunks).pipeThrough(new NetstringDecoderStream()),
      ),
    expected: (c) => c.frames,
  },
  {
    name: "IntNDecoderStream",
    run: (c) =>
      count(ReadableStream.from(c.chunks).pipeThrough(new IntNDecoderStream())),
    expected: (c) => c.frames,
  },
];

interface Group<C> {
  name: string;
  corpus: C;
  bytes: number;
  candidates: Candidate<C>[];
}

function groups(): Group<LineCorpus | Corpus>[] {
  const out: Group<LineCorpus | Corpus>[] = [];
  for (const lineLength of [64, 1024]) {
    for (const text of [false, true]) {
      const corpus = makeLines(lineLength, text);
      out.push({
        name: corpus.name,
        corpus,
        bytes: corpus.bytes,
        candidates: lineCandidates as Candidate<LineCorpus | Corpus>[],
      });
    }
  }
  for (const framing of ["netstring", "int32"] as Framing[]) {
    for (const frameSize of [64, 1024]) {
      const corpus = makeCorpus(framing, frameSize, BYTES);
      out.push({
        name: `${framing} ${frameSize} B frames`,
        corpus,
        bytes: corpus.bytes,
        candidates: frameCandidates.filter((c) =>
          c.name.startsWith(framing === "netstring" ? "Netstring" : "IntN")
        ) as Candidate<LineCorpus | Corpus>[],
      });
    }
  }
  return out;
}

async function check<C>(candidate: Candidate<C>, corpus: C): Promise<void> {
  const n = await candidate.run(corpus);
  if (n !== candidate.expected(corpus)) {
    throw new Error(
      `${candidate.name} read ${n} chunks: ${candidate.expected(corpus)}`,
    );
  }
}

function loadAverage(): string {
  try {
    return Deno.loadavg().map((n) => n.toFixed(2)).join(" ");
  } catch {
    return "unknown (needs --allow-sys=loadavg)";
  }
}

if (import.meta.main) {
  const at = Deno.args.indexOf("--runs");
  const runs = at === -1 ? 15 : Number(Deno.args[at + 1]);
  console.log(`load average ${loadAverage()}, best of ${runs} runs of 8 MiB`);
  console.log(
    `${"input".padEnd(24)} ${
      "stream".padEnd(42)
    } best MB/s  Mframes/s  median MB/s`,
  );
  for (const group of groups()) {
    const seconds = group.candidates.map((): number[] => []);
    for (const candidate of group.candidates) {
      await check(candidate, group.corpus); // and warm up
      await candidate.run(group.corpus);
    }
    for (let run = 0; run < runs; run++) {
      for (const [i, candidate] of group.candidates.entries()) {
        const start = performance.now();
        await candidate.run(group.corpus);
        seconds[i].push((performance.now() - start) / 1000);
      }
    }
    for (const [i, candidate] of group.candidates.entries()) {
      const sorted = seconds[i].sort((a, b) => a - b);
      const best = sorted[0];
      const median = sorted[Math.floor(sorted.length / 2)];
      console.log(
        [
          group.name.padEnd(24),
          candidate.name.padEnd(42),
          (group.bytes / best / 1e6).toFixed(0).padStart(9),
          (candidate.expected(group.corpus) / best / 1e6).toFixed(2)
            .padStart(10),
          (group.bytes / median / 1e6).toFixed(0).padStart(12),
        ].join(" "),
      );
    }
  }
  console.log(`load average ${loadAverage()}`);
} else {
  for (const group of groups()) {
    for (const candidate of group.candidates) {
      Deno.bench({
        name: `${candidate.name}, ${group.name}`,
        group: group.name,
        baseline: candidate === group.candidates[0],
        async fn(): Promise<void> {
          await check(candidate, group.corpus);
        },
      });
    }
  }
}
