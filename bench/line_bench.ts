// Line framing throughput: the sans-IO parser, LineReceiver's
// lineBytesReceived path, LineDecoderStream, and a naive decoder that
// re-concatenates its buffer per chunk (as Twisted does), on 64 B and 1 KiB
// lines read in random chunks of 1-64 KiB. Each iteration parses BYTES bytes
// (8 MiB): MB/s = 8.39 / (seconds per iteration). `deno run
// bench/line_throughput.ts` prints MB/s and lines/s directly.
//
//   deno bench bench/line_bench.ts

import { BYTES, decoders, makeChunks } from "./line_throughput.ts";

for (const lineLength of [64, 1024]) {
  const chunks = makeChunks(lineLength);
  const group = `${lineLength} B lines`;
  for (const [name, decode] of Object.entries(decoders)) {
    Deno.bench({
      name: `${name}, ${lineLength} B lines, ${BYTES >> 20} MiB/iter`,
      group,
      baseline: name === "LineParser.next",
      async fn(): Promise<void> {
        await decode(chunks);
      },
    });
  }
}
