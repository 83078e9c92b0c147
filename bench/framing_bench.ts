// deno bench bench/framing_bench.ts
//
// Decoding 1 MiB of netstrings or Int32-prefixed frames (64 B and 1 KiB
// payloads, cut into pseudo-random 512 B to 64 KiB chunks) through the
// parser, the receiver, the decoder stream, and a naive concatenating
// decoder. Time per iteration is time per MiB. MB/s: framing_throughput.ts.

import {
  decodeNaively,
  decodeWithParser,
  decodeWithReceiver,
  decodeWithStream,
  type Framing,
  makeCorpus,
} from "./_framing_fixtures.ts";

const MIB = 1024 * 1024;

for (const framing of ["netstring", "int32"] as Framing[]) {
  for (const frameSize of [64, 1024]) {
    const corpus = makeCorpus(framing, frameSize, MIB);
    const group = `${framing} ${frameSize} B frames, 1 MiB`;
    const check = (count: number): void => {
      if (count !== corpus.frames) throw new Error(`Decoded ${count} frames`);
    };
    Deno.bench(
      `${framing} ${frameSize} B: parser`,
      { group, baseline: true },
      () => {
        check(decodeWithParser(corpus));
      },
    );
    Deno.bench(`${framing} ${frameSize} B: receiver`, { group }, () => {
      check(decodeWithReceiver(corpus));
    });
    Deno.bench(
      `${framing} ${frameSize} B: decoder stream`,
      { group },
      async () => {
        check(await decodeWithStream(corpus));
      },
    );
    Deno.bench(`${framing} ${frameSize} B: naive concatenating decoder`, {
      group,
    }, () => {
      check(decodeNaively(corpus));
    });
  }
}
