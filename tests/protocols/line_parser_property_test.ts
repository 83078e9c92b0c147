// Property tests of the line parser and its adapters: against a naive model
// of the rules (concatenate everything, split at the first delimiter, refuse
// as soon as the unfinished line cannot end within the limit), for random
// delimiters (overlapping ones included), limits, bytes and chunkings.

import assert from "node:assert/strict";
import fc from "fast-check";
import { LineParser } from "../../protocols/_line_parser.ts";
import { LineReceiver } from "../../protocols/line_receiver.ts";
import { LineDecoderStream } from "../../protocols/line_streams.ts";
import { LineTooLongError } from "../../protocols/line_too_long_error.ts";
import { StringTransport } from "../../testing/string_transport.ts";

const RUNS = { numRuns: 300 };

// Small alphabets so that delimiters and their prefixes turn up often.
const delimiterArb = fc.constantFrom(
  [10],
  [13, 10],
  [97, 97],
  [97, 98, 97],
  [97, 97, 98],
  [13, 10, 13, 10],
  [97, 98, 97, 98],
).map((d) => new Uint8Array(d));
const bytesArb = fc.uint8Array({ maxLength: 80 }).map((a) =>
  a.map((x) => [97, 98, 13, 10][x & 3])
);
// Longer runs without a delimiter byte, in chunks long enough to be searched
// a word at a time.
const longBytesArb = fc.array(
  fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 40 })),
  { maxLength: 20 },
).map((runs) =>
  new Uint8Array(runs.flatMap(([x, n]) => Array(n).fill([97, 98, 13, 10][x])))
    .map((x, i) => x === 97 ? 97 + (i % 7) : x)
);

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let k = 0; k < needle.length; k++) {
      if (haystack[i + k] !== needle[k]) continue outer;
    }
    return i;
  }
  return -1;
}

function longestSuffixPrefix(buffer: Uint8Array, d: Uint8Array): number {
  for (let k = Math.min(d.length - 1, buffer.length); k > 0; k--) {
    if (indexOf(buffer.subarray(buffer.length - k), d.subarray(0, k)) === 0) {
      return k;
    }
  }
  return 0;
}

/**
 * Split `data` into chunks of the given sizes, cycled; each is a view at an
 * offset (size mod 4) into its own buffer, so reads vary in alignment too.
 */
function chunk(data: Uint8Array, sizes: number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0, n = 0; i < data.length; n++) {
    const size = sizes[n % sizes.length];
    const part = data.subarray(i, i + size);
    const buffer = new Uint8Array(part.length + 4);
    buffer.set(part, size & 3);
    out.push(buffer.subarray(size & 3, (size & 3) + part.length));
    i += size;
  }
  return out;
}

type Event = { line: number[] } | { error: number; buffered: number[] };

/** The rules, naively: everything per chunk is re-concatenated and re-split. */
function model(chunks: Uint8Array[], d: Uint8Array, max: number): Event[] {
  const events: Event[] = [];
  let buffer: Uint8Array = new Uint8Array(0);
  for (const c of chunks) {
    buffer = concat([buffer, c]);
    for (;;) {
      const at = indexOf(buffer, d);
      const least = at !== -1
        ? at
        : buffer.length - longestSuffixPrefix(buffer, d);
      if (least > max) {
        return [...events, { error: least, buffered: [...buffer] }];
      }
      if (at === -1) break;
      events.push({ line: [...buffer.subarray(0, at)] });
      buffer = buffer.subarray(at + d.length);
    }
  }
  return events;
}

function runParser(chunks: Uint8Array[], d: Uint8Array, max: number): Event[] {
  const parser = new LineParser(d, max);
  const events: Event[] = [];
  for (const c of chunks) {
    parser.feed(c);
    assert.ok(parser.bufferedLength <= max + d.length - 1 + c.length);
    for (;;) {
      const result = parser.next();
      if (result === null) break;
      if (result instanceof LineTooLongError) {
        const buffered = parser.takeAll();
        assert.equal(parser.bufferedLength, 0);
        return [...events, { error: result.length, buffered: [...buffered] }];
      }
      assert.ok(result instanceof Uint8Array);
      events.push({ line: [...result] });
    }
    assert.ok(parser.bufferedLength <= max + d.length - 1);
  }
  return events;
}

Deno.test("LineParser: garbage in any chunking follows the model, within its bound", () => {
  fc.assert(
    fc.property(
      bytesArb,
      delimiterArb,
      fc.integer({ min: 0, max: 10 }),
      fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1 }),
      (data, d, max, sizes) => {
        const chunks = chunk(data, sizes);
        assert.deepEqual(runParser(chunks, d, max), model(chunks, d, max));
      },
    ),
    RUNS,
  );
});

Deno.test("LineParser: long lines in long chunks follow the model", () => {
  fc.assert(
    fc.property(
      longBytesArb,
      delimiterArb,
      fc.integer({ min: 0, max: 80 }),
      fc.array(fc.integer({ min: 1, max: 120 }), { minLength: 1 }),
      (data, d, max, sizes) => {
        const chunks = chunk(data, sizes);
        assert.deepEqual(runParser(chunks, d, max), model(chunks, d, max));
      },
    ),
    RUNS,
  );
});

Deno.test("LineReceiver: garbage in any chunking follows the model", () => {
  fc.assert(
    fc.property(
      bytesArb,
      delimiterArb,
      fc.integer({ min: 0, max: 10 }),
      fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1 }),
      (data, d, max, sizes) => {
        const events: Event[] = [];
        const proto = new (class extends LineReceiver {
          override delimiter = d;
          override MAX_LENGTH = max;
          override lineBytesReceived(line: Uint8Array): void {
            events.push({ line: [...line] });
          }
          override lineLengthExceeded(buffer: Uint8Array): void {
            events.push({ error: -1, buffered: [...buffer] });
            super.lineLengthExceeded(buffer);
          }
        })();
        proto.makeConnection(new StringTransport());
        const chunks = chunk(data, sizes);
        for (const c of chunks) proto.dataReceived(c);
        const expected = model(chunks, d, max).map((e) =>
          "error" in e ? { ...e, error: -1 } : e
        );
        assert.deepEqual(events, expected);
      },
    ),
    RUNS,
  );
});

// Lines that come back whole: no delimiter inside, and none formed with the
// line's own end (for "aba", the line "ab" would end at "ab|aba").
const linesArb = (d: Uint8Array, max: number) =>
  fc.array(
    fc.uint8Array({ maxLength: max }).map((a) =>
      a.map((x) => [97, 98, 13, 10][x & 3])
    ),
  )
    .map((lines) =>
      lines.filter((line) => indexOf(concat([line, d]), d) === line.length)
    );

const encodedArb = fc.tuple(delimiterArb, fc.integer({ min: 0, max: 12 }))
  .chain(([d, max]) =>
    fc.record({
      d: fc.constant(d),
      max: fc.constant(max),
      lines: linesArb(d, max),
      sizes: fc.array(fc.integer({ min: 1, max: 16 }), { minLength: 1 }),
    })
  );

Deno.test("LineReceiver: lines encoded with sendLine decode to themselves", () => {
  fc.assert(
    fc.property(encodedArb, ({ d, max, lines, sizes }) => {
      const sender = new LineReceiver();
      sender.delimiter = d;
      const wire = new StringTransport();
      sender.makeConnection(wire);
      for (const line of lines) sender.sendLine(line);
      const got: number[][] = [];
      const receiver = new (class extends LineReceiver {
        override delimiter = d;
        override MAX_LENGTH = max;
        override lineBytesReceived(line: Uint8Array): void {
          got.push([...line]);
        }
      })();
      const transport = new StringTransport();
      receiver.makeConnection(transport);
      for (const c of chunk(wire.value(), sizes)) receiver.dataReceived(c);
      assert.deepEqual(got, lines.map((line) => [...line]));
      assert.equal(transport.disconnecting, false);
      assert.equal(receiver.clearLineBuffer().length, 0);
    }),
    RUNS,
  );
});

Deno.test("LineDecoderStream: lines encoded decode to themselves", async () => {
  await fc.assert(
    fc.asyncProperty(encodedArb, async ({ d, max, lines, sizes }) => {
      const wire = concat(lines.flatMap((line) => [line, d]));
      const got = await Array.fromAsync(
        ReadableStream.from(chunk(wire, sizes)).pipeThrough(
          new LineDecoderStream({ delimiter: d, maxLength: max }),
        ),
      );
      assert.deepEqual(got.map((l) => [...l]), lines.map((l) => [...l]));
    }),
    { numRuns: 100 },
  );
});

Deno.test("LineReceiver: with modes, pauses and delimiters switched at random, no byte is lost or repeated", () => {
  fc.assert(
    fc.property(
      bytesArb,
      fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 1 }),
      fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1 }),
      (data, choices, sizes) => {
        const transcript: Uint8Array[] = [];
        let n = 0;
        const choose = () => choices[n++ % choices.length];
        const proto = new (class extends LineReceiver {
          override MAX_LENGTH = 6;
          rawLeft = 0;
          override lineBytesReceived(line: Uint8Array): void {
            const d = this.delimiter as Uint8Array;
            transcript.push(line, d);
            const c = choose();
            if (c < 3) {
              this.rawLeft = c + 1;
              this.setRawMode();
            } else if (c < 5) this.pauseProducing();
            else if (c === 5) this.delimiter = new Uint8Array([13, 10]);
            else if (c === 6) this.delimiter = new Uint8Array([97, 98, 97]);
          }
          override rawDataReceived(data: Uint8Array): void {
            const take = Math.min(this.rawLeft, data.length);
            transcript.push(data.subarray(0, take));
            this.rawLeft -= take;
            if (this.rawLeft === 0) this.setLineMode(data.subarray(take));
          }
          override lineLengthExceeded(buffer: Uint8Array): void {
            transcript.push(buffer);
          }
        })();
        proto.delimiter = new Uint8Array([10]);
        proto.makeConnection(new StringTransport());
        for (const c of chunk(data, sizes)) {
          proto.dataReceived(c);
          if (choose() < 5) proto.resumeProducing();
        }
        while (proto.paused) proto.resumeProducing();
        transcript.push(proto.clearLineBuffer());
        assert.deepEqual([...concat(transcript)], [...data]);
      },
    ),
    RUNS,
  );
});
