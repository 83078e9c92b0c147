// deno run bench/framing_throughput.ts
//
// Prints MB/s and frames/s for decoding netstrings and Int32-prefixed frames
// (64 B and 1 KiB payloads, pseudo-random 512 B to 64 KiB chunks) through the
// parser, the receiver, the decoder stream, and a naive concatenating
// decoder, over 32 MiB after a warm-up: the best of several runs (the figure
// to compare: it is the least disturbed by other processes) and the median.
// Target: at least 2 GB/s (2000 MB/s) on 1 KiB frames.

import {
  type Corpus,
  decodeNaively,
  decodeWithParser,
  decodeWithReceiver,
  decodeWithStream,
  type Framing,
  makeCorpus,
} from "./_framing_fixtures.ts";

const TOTAL = 32 * 1024 * 1024;
const RUNS = 9;

const paths: [string, (corpus: Corpus) => number | Promise<number>][] = [
  ["parser", decodeWithParser],
  ["receiver", decodeWithReceiver],
  ["decoder stream", decodeWithStream],
  ["naive concat", decodeNaively],
];

async function measure(
  corpus: Corpus,
  decode: (corpus: Corpus) => number | Promise<number>,
): Promise<{ best: number; median: number }> {
  const seconds: number[] = [];
  for (let run = -2; run < RUNS; run++) {
    const start = performance.now();
    const count = await decode(corpus);
    const elapsed = (performance.now() - start) / 1000;
    if (count !== corpus.frames) throw new Error(`Decoded ${count} frames`);
    if (run >= 0) seconds.push(elapsed);
  }
  seconds.sort((a, b) => a - b);
  return { best: seconds[0], median: seconds[Math.floor(seconds.length / 2)] };
}

console.log(
  "framing     frame path            best MB/s  Mframes/s  median MB/s",
);
for (const framing of ["netstring", "int32"] as Framing[]) {
  for (const frameSize of [64, 1024]) {
    const corpus = makeCorpus(framing, frameSize, TOTAL);
    for (const [name, decode] of paths) {
      const { best, median } = await measure(corpus, decode);
      console.log(
        [
          framing.padEnd(10),
          `${frameSize} B`.padStart(6),
          name.padEnd(15),
          (corpus.bytes / best / 1e6).toFixed(0).padStart(10),
          (corpus.frames / best / 1e6).toFixed(2).padStart(10),
          (corpus.bytes / median / 1e6).toFixed(0).padStart(12),
        ].join(" "),
      );
    }
  }
}
