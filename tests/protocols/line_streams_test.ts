// LineDecoderStream, TextLineDecoderStream and LineEncoderStream.

import assert from "node:assert/strict";
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
