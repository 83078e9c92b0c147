// LineDecoderStream, TextLineDecoderStream and LineEncoderStream.

import assert from "node:assert/strict";
import fc from "fast-check";
import {
  LineDecoderStream,
  LineEncoderStream,
  TextLineDecoderStream,
} from "../../protocols/line_streams.ts";
import { LineTooLongError } from "../../protocols/line_too_long_error.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const b = (text: string): Uint8Array => enc.encode(text);

function chunks(text: string, size: number): Uint8Array[] {
  const bytes = b(text);
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) {
    out.push(bytes.slice(i, i + size));
  }
  return out;
}

async function decode(
  input: Uint8Array[],
  options?: ConstructorParameters<typeof LineDecoderStream>[0],
): Promise<string[]> {
  const lines = await Array.fromAsync(
    ReadableStream.from(input).pipeThrough(new LineDecoderStream(options)),
  );
  return lines.map((line) => dec.decode(line));
}

Deno.test("LineDecoderStream: splits at the delimiter, however chunked", async () => {
  const text = "one\r\ntwo\r\n\r\nthree\r\n";
  for (let size = 1; size <= text.length; size++) {
    assert.deepEqual(await decode(chunks(text, size)), [
      "one",
      "two",
      "",
      "three",
    ]);
  }
});

Deno.test("LineDecoderStream: an unterminated last line is emitted, an empty one is not", async () => {
  assert.deepEqual(await decode([b("a\r\nb")]), ["a", "b"]);
  assert.deepEqual(await decode([b("a\r\nb\r")]), ["a", "b\r"]);
  assert.deepEqual(await decode([b("a\r\n")]), ["a"]);
  assert.deepEqual(await decode([]), []);
  assert.deepEqual(await decode([b("\r\n")]), [""]);
});

Deno.test("LineDecoderStream: delimiter and maxLength options", async () => {
  assert.deepEqual(
    await decode(chunks("a--b---c", 1), { delimiter: "--" }),
    ["a", "b", "-c"],
  );
  assert.deepEqual(
    await decode([b("x\0y\0")], { delimiter: new Uint8Array([0]) }),
    ["x", "y"],
  );
  assert.deepEqual(
    await decode(chunks("abcd\nabcd\n", 3), { delimiter: "\n", maxLength: 4 }),
    ["abcd", "abcd"],
  );
});

Deno.test("LineDecoderStream: a line over maxLength errors the stream at once", async () => {
  const lines: string[] = [];
  let pulls = 0;
  const input = new ReadableStream<Uint8Array>({
    pull(controller): void {
      // Never ends: the error must come from the bytes already read.
      controller.enqueue(pulls++ === 0 ? b("ok\r\n") : b("x".repeat(1000)));
    },
  });
  const reader = input.pipeThrough(new LineDecoderStream()).getReader();
  const error = await (async () => {
    try {
      for (;;) {
        const { value } = await reader.read();
        lines.push(dec.decode(value));
      }
    } catch (error) {
      return error;
    }
  })();
  assert.deepEqual(lines, ["ok"]);
  assert.ok(error instanceof LineTooLongError);
  assert.equal(error.name, "LineTooLongError");
  assert.equal(error.message, "Line exceeds MAX_LENGTH: 17000 > 16384");
  assert.equal(error.length, 17000);
  assert.equal(error.maxLength, 16384);
});

Deno.test("LineDecoderStream: the MAX_LENGTH edge, as LineReceiver", async () => {
  const max = "x".repeat(16384);
  assert.deepEqual(await decode([b(max + "\r\n")]), [max]);
  await assert.rejects(
    decode([b(max + "x")]),
    (error: Error) =>
      error instanceof LineTooLongError &&
      error.message === "Line exceeds MAX_LENGTH: 16385 > 16384",
  );
  await assert.rejects(decode([b(max + "x\r\n")]), LineTooLongError);
  await assert.rejects(
    decode([b("abcd\r")], { maxLength: 4 }),
    LineTooLongError,
  );
});

Deno.test("LineDecoderStream: bad options throw", () => {
  assert.throws(() => new LineDecoderStream({ delimiter: "" }), RangeError);
  assert.throws(() => new LineDecoderStream({ maxLength: -1 }), RangeError);
  assert.throws(() => new LineDecoderStream({ maxLength: 1.5 }), RangeError);
  assert.throws(
    () => new LineDecoderStream({ delimiter: 5 as unknown as string }),
    TypeError,
  );
});

Deno.test("TextLineDecoderStream: lines as strings, lossy UTF-8", async () => {
  const bytes = new Uint8Array([...b("h\u00e9\r\n"), 0xff, ...b("\r\nend")]);
  for (let size = 1; size <= bytes.length; size++) {
    const input: Uint8Array[] = [];
    for (let i = 0; i < bytes.length; i += size) {
      input.push(bytes.slice(i, i + size));
    }
    const lines = await Array.fromAsync(
      ReadableStream.from(input).pipeThrough(new TextLineDecoderStream()),
    );
    assert.deepEqual(lines, ["h\u00e9", "\ufffd", "end"]);
  }
  await assert.rejects(
    Array.fromAsync(
      ReadableStream.from([b("toolong\n")]).pipeThrough(
        new TextLineDecoderStream({ delimiter: "\n", maxLength: 3 }),
      ),
    ),
    LineTooLongError,
  );
});

Deno.test("LineEncoderStream: one chunk per line, delimiter appended", async () => {
  const out = await Array.fromAsync(
    ReadableStream.from<string | Uint8Array>(["a", b("bc"), ""]).pipeThrough(
      new LineEncoderStream(),
    ),
  );
  assert.deepEqual(out.map((c) => dec.decode(c)), ["a\r\n", "bc\r\n", "\r\n"]);
  const nul = await Array.fromAsync(
    ReadableStream.from(["x"]).pipeThrough(
      new LineEncoderStream({ delimiter: new Uint8Array([0]) }),
    ),
  );
  assert.deepEqual(nul, [new Uint8Array([120, 0])]);
  assert.throws(() => new LineEncoderStream({ delimiter: "" }), RangeError);
  await assert.rejects(
    Array.fromAsync(
      ReadableStream.from([7 as unknown as string]).pipeThrough(
        new LineEncoderStream(),
      ),
    ),
    /Line must be a Uint8Array or a string: number/,
  );
});

Deno.test("Line streams over a TCP connection: conn.readable.pipeThrough", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const server = (async () => {
    const conn = await listener.accept();
    await ReadableStream.from(["HELLO", "WORLD"])
      .pipeThrough(new LineEncoderStream())
      .pipeTo(conn.writable);
  })();
  const conn = await Deno.connect({
    hostname: "127.0.0.1",
    port: listener.addr.port,
  });
  const lines = await Array.fromAsync(
    conn.readable.pipeThrough(new TextLineDecoderStream()),
  );
  await server;
  listener.close();
  assert.deepEqual(lines, ["HELLO", "WORLD"]);
});

Deno.test("LineDecoderStream delivers every line decoded before a too-long line, then errors", async () => {
  // One chunk: two good lines and one too long. A TransformStream would drop
  // the two queued lines when it errors; this decoder must not.
  const { promise: cancelled, resolve: cancel } = Promise.withResolvers<
    unknown
  >();
  const source = new ReadableStream<Uint8Array>({
    start(controller): void {
      controller.enqueue(b("a\r\nb\r\n" + "x".repeat(20)));
    },
    cancel(reason): void {
      cancel(reason);
    },
  });
  const reader = source.pipeThrough(
    new TextLineDecoderStream({ maxLength: 10 }),
  ).getReader();
  // The source is cancelled before anything is read.
  assert.ok(await cancelled instanceof LineTooLongError);
  assert.equal((await reader.read()).value, "a");
  assert.equal((await reader.read()).value, "b");
  await assert.rejects(reader.read(), LineTooLongError);
});

// TextLineDecoderStream decodes the complete lines of a chunk with one
// TextDecoder call and splits the text at the delimiter. It must give what
// LineDecoderStream gives with each line decoded on its own: the same strings,
// the same error after the same lines, however the bytes are chunked, for
// invalid UTF-8, byte-order marks, characters of 2 to 4 bytes, and
// delimiters of one or more bytes (some that overlap themselves, some not
// ASCII).

const perLine = new TextDecoder("utf-8", { ignoreBOM: true });

interface Outcome {
  lines: string[];
  error?: string;
}

async function outcome<T>(
  input: Uint8Array[],
  stream: ReadableWritablePair<T, Uint8Array>,
  toString: (line: T) => string,
): Promise<Outcome> {
  const lines: string[] = [];
  try {
    for await (const line of ReadableStream.from(input).pipeThrough(stream)) {
      lines.push(toString(line));
    }
    return { lines };
  } catch (error) {
    return {
      lines,
      error: `${(error as Error).name}: ${(error as Error).message}`,
    };
  }
}

function cut(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const ends = [...new Set(cuts.map((c) => c % (bytes.length + 1)))]
    .sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let start = 0;
  for (const end of [...ends, bytes.length]) {
    if (end > start) out.push(bytes.slice(start, end));
    start = end;
  }
  return out;
}

const delimiters = [
  "\r\n",
  "\n",
  "\0",
  "<|>",
  "--",
  "\r\n\r\n",
  "aba",
  "\u00e9",
  new Uint8Array([0xff]),
  new Uint8Array([0xe2, 0x82]),
];
const pieces = [
  ..."ab-<|>\r\n\0".split("").map((c) => b(c)),
  b("\u00e9"), // 2 bytes
  b("\u20ac"), // 3 bytes
  b("\u{1d11e}"), // 4 bytes
  b("\ufeff"), // a byte-order mark
  ...[[0x80], [0xbf], [0xc3], [0xe2, 0x82], [0xf0, 0x9f, 0x98], [0xff], [
    0xed,
    0xa0,
    0x80,
  ]].map((bytes) => new Uint8Array(bytes)),
];
// A piece is one of `pieces`, or (the last three indexes) the delimiter, its
// first byte or its last byte, so that lines, partial delimiters and
// overlapping ones turn up often.
const piece = fc.nat({ max: pieces.length + 2 });
const textInput = fc.record({
  delimiter: fc.constantFrom(...delimiters),
  // Each line may end a chunk (so that the next chunk starts a line) or not.
  lines: fc.array(
    fc.record({
      parts: fc.array(piece, { maxLength: 10 }),
      cutAfter: fc.boolean(),
    }),
    { maxLength: 14 },
  ),
  rest: fc.array(piece, { maxLength: 5 }),
  cuts: fc.array(fc.nat(), { maxLength: 8 }),
  maxLength: fc.oneof(fc.integer({ min: 0, max: 24 }), fc.constant(16384)),
});

function textBytes(
  d: Uint8Array,
  lines: { parts: number[]; cutAfter: boolean }[],
  rest: number[],
): { bytes: Uint8Array; cuts: number[] } {
  const extra = [d, d.subarray(0, 1), d.subarray(d.length - 1)];
  const bytes: number[] = [];
  const cuts: number[] = [];
  const add = (parts: number[]): void => {
    for (const i of parts) {
      bytes.push(...(i < pieces.length ? pieces[i] : extra[i - pieces.length]));
    }
  };
  for (const { parts, cutAfter } of lines) {
    add(parts);
    bytes.push(...d);
    if (cutAfter) cuts.push(bytes.length);
  }
  add(rest);
  return { bytes: new Uint8Array(bytes), cuts };
}

Deno.test("TextLineDecoderStream gives each line as decoded on its own (property)", async () => {
  await fc.assert(
    fc.asyncProperty(textInput, async (input) => {
      const { delimiter, maxLength } = input;
      const d = typeof delimiter === "string" ? b(delimiter) : delimiter;
      const { bytes, cuts } = textBytes(d, input.lines, input.rest);
      const chunks = cut(bytes, [...cuts, ...input.cuts]);
      const options = { delimiter, maxLength };
      const expected = await outcome(
        chunks,
        new LineDecoderStream(options),
        (line) => perLine.decode(line),
      );
      const actual = await outcome(
        chunks,
        new TextLineDecoderStream(options),
        (line) => line,
      );
      assert.deepEqual(actual, expected);
    }),
    { seed: 0x11e5, numRuns: 1000 },
  );
});

Deno.test("TextLineDecoderStream: lines of one chunk, split from one decoding", async () => {
  const text = (chunks: (string | Uint8Array)[], options = {}) =>
    Array.fromAsync(
      ReadableStream.from(chunks.map((c) => typeof c === "string" ? b(c) : c))
        .pipeThrough(new TextLineDecoderStream(options)),
    );
  // A byte-order mark is text at the start of every line.
  assert.deepEqual(await text(["\ufeffa\r\n\ufeffb\r\n\ufeff"]), [
    "\ufeffa",
    "\ufeffb",
    "\ufeff",
  ]);
  // Invalid and cut-short sequences end at the delimiter.
  assert.deepEqual(
    await text([
      new Uint8Array([0x61, 0xe2, 0x82, 13, 10, 0xff, 13, 10, 0xf0]),
    ]),
    ["a\ufffd", "\ufffd", "\ufffd"],
  );
  // A character split between chunks.
  const euro = b("x\r\n\u20ac\r\ny");
  assert.deepEqual(await text([euro.slice(0, 5), euro.slice(5)]), [
    "x",
    "\u20ac",
    "y",
  ]);
  // A delimiter that overlaps itself: the first occurrence wins.
  assert.deepEqual(await text(["a---b--c"], { delimiter: "--" }), [
    "a",
    "-b",
    "c",
  ]);
  assert.deepEqual(await text(["a---", "b--"], { delimiter: "--" }), [
    "a",
    "-b",
  ]);
  // Lines spanning chunks, then several in one.
  assert.deepEqual(
    await text(["on", "e\nt", "wo\nthree\nfo", "ur"], { delimiter: "\n" }),
    ["one", "two", "three", "four"],
  );
});

Deno.test("TextLineDecoderStream: a line over maxLength in the middle of a chunk", async () => {
  for (const long of ["x".repeat(11), "\u00e9".repeat(6), "\u20ac".repeat(4)]) {
    const { lines, error } = await outcome(
      [b(`ok\r\n\u00e9\r\n${long}\r\nnever\r\n`)],
      new TextLineDecoderStream({ maxLength: 10 }),
      (line) => line,
    );
    assert.deepEqual(lines, ["ok", "\u00e9"]);
    assert.equal(
      error,
      `LineTooLongError: Line exceeds MAX_LENGTH: ${b(long).length} > 10`,
    );
  }
});

Deno.test("TextLineDecoderStream applies backpressure: input waits for lines to be read", async () => {
  const decoder = new TextLineDecoderStream();
  const writer = decoder.writable.getWriter();
  let written = false;
  const write = writer.write(b("a\r\nb\r\nc")).then(() => written = true);
  for (let i = 0; i < 10; i++) await Promise.resolve();
  assert.equal(written, false); // and never will be, until something is read
  const reader = decoder.readable.getReader();
  assert.deepEqual(await reader.read(), { done: false, value: "a" });
  assert.deepEqual(await reader.read(), { done: false, value: "b" });
  const pending = reader.read();
  await write;
  assert.equal(written, true);
  await writer.close();
  assert.deepEqual(await pending, { done: false, value: "c" });
  assert.deepEqual(await reader.read(), { done: true, value: undefined });
});

Deno.test("TextLineDecoderStream: cancelling the output cancels the source", async () => {
  const { promise: cancelled, resolve: cancel } = Promise.withResolvers<
    unknown
  >();
  const source = new ReadableStream<Uint8Array>({
    pull(controller): void {
      controller.enqueue(b("x\r\ny\r\n"));
    },
    cancel(reason): void {
      cancel(reason);
    },
  });
  const reader = source.pipeThrough(new TextLineDecoderStream()).getReader();
  assert.deepEqual(await reader.read(), { done: false, value: "x" });
  await reader.cancel("enough");
  assert.equal(await cancelled, "enough");
});
