// NetstringDecoderStream and NetstringEncoderStream: the same vectors as the
// receiver, through Web streams.

import assert from "node:assert/strict";
import { NetstringParseError } from "../../protocols/netstring_parse_error.ts";
import {
  NetstringDecoderStream,
  NetstringEncoderStream,
} from "../../protocols/netstring_streams.ts";
import { TruncatedFrameError } from "../../protocols/truncated_frame_error.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const b = (s: string): Uint8Array => enc.encode(s);

async function decode(
  chunks: (Uint8Array | string)[],
  options?: { maxLength?: number },
): Promise<string[]> {
  const bytes = chunks.map((c) => typeof c === "string" ? b(c) : c);
  const frames = await Array.fromAsync(
    ReadableStream.from(bytes).pipeThrough(new NetstringDecoderStream(options)),
  );
  return frames.map((f) => dec.decode(f));
}

/** Decode, returning the frames read before the stream errored and the error. */
async function decodeUntilError(
  chunks: string[],
  options?: { maxLength?: number },
): Promise<{ frames: string[]; error: unknown }> {
  const frames: string[] = [];
  try {
    const readable = ReadableStream.from(chunks.map(b))
      .pipeThrough(new NetstringDecoderStream(options));
    for await (const frame of readable) frames.push(dec.decode(frame));
  } catch (error) {
    return { frames, error };
  }
  throw new Error("The stream did not error");
}

Deno.test("NetstringDecoderStream decodes the legal vectors, whole and byte by byte", async () => {
  const wire = "0:,1:a,2:ab,4:1:a,,12:hello world!,";
  const expected = ["", "a", "ab", "1:a,", "hello world!"];
  assert.deepEqual(await decode([wire]), expected);
  assert.deepEqual(await decode([...wire]), expected);
  assert.deepEqual(await decode(["1", "0:01234", "56789", ","]), [
    "0123456789",
  ]);
  assert.deepEqual(await decode([]), []);
});

Deno.test("NetstringDecoderStream errors with NetstringParseError on illegal input", async () => {
  for (
    const [wire, message, before] of [
      ["3:abc!", "Netstring is missing its comma: got 0x21", []],
      ["1:a,01:a,", "Netstring length has a leading zero", ["a"]],
      [":a,", "Netstring is missing its length", []],
      ["-1:a,", "Netstring does not start with a length: got 0x2d", []],
      ["1 :a,", "Netstring length is not followed by a colon: got 0x20", []],
      [
        "9999999999999999999999",
        "Netstring length exceeds MAX_LENGTH: 999999 > 99999",
        [],
      ],
    ] as const
  ) {
    for (const chunks of [[wire], [...wire]]) {
      const { frames, error } = await decodeUntilError(chunks);
      assert.deepEqual(frames, before, wire);
      assert.ok(error instanceof NetstringParseError, wire);
      assert.equal(error.message, message);
    }
  }
});

Deno.test("NetstringDecoderStream: maxLength edges, checked while digits arrive", async () => {
  assert.deepEqual(await decode(["12:hello world!,"], { maxLength: 12 }), [
    "hello world!",
  ]);
  const { error } = await decodeUntilError(["12:"], { maxLength: 11 });
  assert.equal(
    (error as Error).message,
    "Netstring length exceeds MAX_LENGTH: 12 > 11",
  );
  const payload = "x".repeat(99999);
  assert.deepEqual(await decode([`99999:${payload},`]), [payload]);
  // 10^12, one digit per chunk, no colon ever: refused at the sixth digit.
  const digits = [..."1000000000000"];
  let pulled = 0;
  const source = new ReadableStream<Uint8Array>({
    pull(controller): void {
      if (pulled === digits.length) controller.close();
      else controller.enqueue(b(digits[pulled++]));
    },
  }, { highWaterMark: 0 });
  await assert.rejects(
    Array.fromAsync(source.pipeThrough(new NetstringDecoderStream())),
    /exceeds MAX_LENGTH: 100000 > 99999/,
  );
  assert.ok(pulled <= 7, `pulled ${pulled} chunks`);
  assert.throws(
    () => new NetstringDecoderStream({ maxLength: -1 }),
    RangeError,
  );
});

Deno.test("NetstringDecoderStream errors with TruncatedFrameError when input ends mid-frame", async () => {
  for (
    const [wire, received] of [["5:hel", 5], ["12", 2], [
      "1:a,3:abc",
      5,
    ]] as const
  ) {
    const { error } = await decodeUntilError([wire]);
    assert.ok(error instanceof TruncatedFrameError, wire);
    assert.equal(error.received, received);
    assert.equal(error.name, "TruncatedFrameError");
  }
});

Deno.test("NetstringDecoderStream hands out views of the input chunk", async () => {
  const chunk = b("5:hello,");
  const [frame] = await Array.fromAsync(
    ReadableStream.from([chunk]).pipeThrough(new NetstringDecoderStream()),
  );
  assert.equal(frame.buffer, chunk.buffer);
  assert.equal(frame.byteOffset, 2);
});

Deno.test("NetstringEncoderStream frames bytes and text, one chunk per netstring", async () => {
  const out = await Array.fromAsync(
    ReadableStream.from<Uint8Array | string>([
      "hello world!",
      new Uint8Array(0),
      "é",
    ])
      .pipeThrough(new NetstringEncoderStream()),
  );
  assert.deepEqual(out.map((c) => dec.decode(c)), [
    "12:hello world!,",
    "0:,",
    "2:é,",
  ]);
  await assert.rejects(
    Array.fromAsync(
      ReadableStream.from([42 as unknown as string]).pipeThrough(
        new NetstringEncoderStream(),
      ),
    ),
    TypeError,
  );
});

Deno.test("Netstring encoder and decoder streams round-trip", async () => {
  const payloads = ["", "a", ",", ":", "12:x,", "z".repeat(1000)];
  const frames = await Array.fromAsync(
    ReadableStream.from(payloads)
      .pipeThrough(new NetstringEncoderStream())
      .pipeThrough(new NetstringDecoderStream()),
  );
  assert.deepEqual(frames.map((f) => dec.decode(f)), payloads);
});

Deno.test("NetstringDecoderStream delivers every payload decoded before an error, then errors", async () => {
  // One chunk: two good netstrings and a bad one. A TransformStream would drop
  // the two queued payloads when it errors; this decoder must not.
  const { promise: cancelled, resolve: cancel } = Promise.withResolvers<
    unknown
  >();
  const source = new ReadableStream<Uint8Array>({
    start(controller): void {
      controller.enqueue(b("1:a,1:b,1:c!"));
    },
    cancel(reason): void {
      cancel(reason);
    },
  });
  const reader = source.pipeThrough(new NetstringDecoderStream()).getReader();
  // The source is cancelled before anything is read.
  assert.ok(await cancelled instanceof NetstringParseError);
  assert.equal(dec.decode((await reader.read()).value), "a");
  assert.equal(dec.decode((await reader.read()).value), "b");
  await assert.rejects(reader.read(), /missing its comma: got 0x21/);
});

Deno.test("NetstringDecoderStream: cancelling the output cancels the source", async () => {
  const { promise: cancelled, resolve: cancel } = Promise.withResolvers<
    unknown
  >();
  const source = new ReadableStream<Uint8Array>({
    pull(controller): void {
      controller.enqueue(b("1:a,"));
    },
    cancel(reason): void {
      cancel(reason);
    },
  });
  const reader = source.pipeThrough(new NetstringDecoderStream()).getReader();
  assert.equal(dec.decode((await reader.read()).value), "a");
  await reader.cancel("enough");
  assert.equal(await cancelled, "enough");
});

Deno.test("NetstringDecoderStream applies backpressure: input waits for payloads to be read", async () => {
  const decoder = new NetstringDecoderStream();
  const writer = decoder.writable.getWriter();
  let written = false;
  const write = writer.write(b("1:a,1:b,")).then(() => written = true);
  for (let i = 0; i < 10; i++) await Promise.resolve();
  assert.equal(written, false); // and never will be, until something is read
  const reader = decoder.readable.getReader();
  assert.equal(dec.decode((await reader.read()).value), "a");
  assert.equal(dec.decode((await reader.read()).value), "b");
  const pending = reader.read();
  await write;
  assert.equal(written, true);
  await writer.close();
  assert.deepEqual(await pending, { done: true, value: undefined });
});

Deno.test("NetstringDecoderStream refuses input chunks that are not bytes", async () => {
  await assert.rejects(
    Array.fromAsync(
      ReadableStream.from(["1:a,"] as unknown as Uint8Array[])
        .pipeThrough(new NetstringDecoderStream()),
    ),
    TypeError,
  );
});
