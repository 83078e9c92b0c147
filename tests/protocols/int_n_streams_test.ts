// IntNDecoderStream and IntNEncoderStream for 1-, 2- and 4-byte prefixes.

import assert from "node:assert/strict";
import {
  IntNDecoderStream,
  IntNEncoderStream,
} from "../../protocols/int_n_streams.ts";
import { LengthLimitExceededError } from "../../protocols/length_limit_exceeded_error.ts";
import { StringTooLongError } from "../../protocols/string_too_long_error.ts";
import { TruncatedFrameError } from "../../protocols/truncated_frame_error.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const b = (s: string): Uint8Array => enc.encode(s);

function frame(prefixLength: number, payload: string): Uint8Array {
  const bytes = b(payload);
  const out = new Uint8Array(prefixLength + bytes.length);
  for (
    let i = prefixLength - 1, n = bytes.length;
    i >= 0;
    i--, n = Math.floor(n / 256)
  ) {
    out[i] = n & 0xff;
  }
  out.set(bytes, prefixLength);
  return out;
}

function bytewise(data: Uint8Array): Uint8Array[] {
  return Array.from(data, (byte) => new Uint8Array([byte]));
}

function join(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

async function decode(
  chunks: Uint8Array[],
  options: { prefixLength?: 1 | 2 | 4; maxLength?: number },
): Promise<{ frames: string[]; error?: unknown }> {
  const frames: string[] = [];
  try {
    const readable = ReadableStream.from(chunks).pipeThrough(
      new IntNDecoderStream(options),
    );
    for await (const f of readable) frames.push(dec.decode(f));
  } catch (error) {
    return { frames, error };
  }
  return { frames };
}

for (const prefixLength of [1, 2, 4] as const) {
  const name = `IntNDecoderStream({ prefixLength: ${prefixLength} })`;

  Deno.test(`${name} decodes whole and byte-by-byte input`, async () => {
    const payloads = ["a", "b".repeat(16), "", "ubar"];
    const wire = join(payloads.map((p) => frame(prefixLength, p)));
    assert.deepEqual(await decode([wire], { prefixLength }), {
      frames: payloads,
    });
    assert.deepEqual(await decode(bytewise(wire), { prefixLength }), {
      frames: payloads,
    });
  });

  Deno.test(`${name} errors with LengthLimitExceededError as soon as the prefix arrives`, async () => {
    const { frames, error } = await decode(
      [
        frame(prefixLength, "ok"),
        frame(prefixLength, "x".repeat(11)).subarray(0, prefixLength),
      ],
      { prefixLength, maxLength: 10 },
    );
    assert.deepEqual(frames, ["ok"]);
    assert.ok(error instanceof LengthLimitExceededError);
    assert.equal(error.length, 11);
    assert.equal(error.maxLength, 10);
    assert.equal(error.message, "Frame length exceeds MAX_LENGTH: 11 > 10");
    const edge = await decode([frame(prefixLength, "x".repeat(10))], {
      prefixLength,
      maxLength: 10,
    });
    assert.deepEqual(edge, { frames: ["x".repeat(10)] });
  });

  Deno.test(`${name} errors with TruncatedFrameError when input ends mid-frame`, async () => {
    const whole = frame(prefixLength, "hello");
    for (const cut of [1, prefixLength, prefixLength + 3]) {
      const { frames, error } = await decode([whole.subarray(0, cut)], {
        prefixLength,
      });
      assert.deepEqual(frames, []);
      assert.ok(error instanceof TruncatedFrameError, `cut ${cut}`);
      assert.equal(error.received, cut);
    }
  });

  Deno.test(`IntNEncoderStream({ prefixLength: ${prefixLength} }) frames and round-trips`, async () => {
    const payloads = ["", "foo", "é".repeat(100)];
    const encoded = await Array.fromAsync(
      ReadableStream.from(payloads).pipeThrough(
        new IntNEncoderStream({ prefixLength }),
      ),
    );
    assert.deepEqual(encoded, payloads.map((p) => frame(prefixLength, p)));
    const decoded = await Array.fromAsync(
      ReadableStream.from(payloads)
        .pipeThrough(new IntNEncoderStream({ prefixLength }))
        .pipeThrough(new IntNDecoderStream({ prefixLength })),
    );
    assert.deepEqual(decoded.map((f) => dec.decode(f)), payloads);
  });
}

Deno.test("IntNEncoderStream errors with StringTooLongError past the prefix", async () => {
  await assert.rejects(
    Array.fromAsync(
      ReadableStream.from([new Uint8Array(256)]).pipeThrough(
        new IntNEncoderStream({ prefixLength: 1 }),
      ),
    ),
    new StringTooLongError(256, 1),
  );
  const [ok] = await Array.fromAsync(
    ReadableStream.from([new Uint8Array(65535)]).pipeThrough(
      new IntNEncoderStream({ prefixLength: 2 }),
    ),
  );
  assert.deepEqual(ok.subarray(0, 2), new Uint8Array([0xff, 0xff]));
});

Deno.test("IntN streams default to a 4-byte prefix and MAX_LENGTH 99999", async () => {
  const [encoded] = await Array.fromAsync(
    ReadableStream.from(["foo"]).pipeThrough(new IntNEncoderStream()),
  );
  assert.deepEqual(encoded, new Uint8Array([0, 0, 0, 3, 102, 111, 111]));
  const { error } = await decode([new Uint8Array([0, 1, 0x86, 0xa0])], {});
  assert.equal(
    (error as Error).message,
    "Frame length exceeds MAX_LENGTH: 100000 > 99999",
  );
  const big = "y".repeat(99999);
  assert.deepEqual(await decode([frame(4, big)], {}), { frames: [big] });
});

Deno.test("IntN streams validate their options", () => {
  assert.throws(
    () => new IntNDecoderStream({ prefixLength: 3 as 4 }),
    RangeError,
  );
  assert.throws(
    () => new IntNEncoderStream({ prefixLength: 8 as 4 }),
    RangeError,
  );
  assert.throws(() => new IntNDecoderStream({ maxLength: -5 }), RangeError);
});

Deno.test("IntNDecoderStream hands out views of the input chunk", async () => {
  const chunk = join([frame(2, "abc"), frame(2, "de")]);
  const frames = await Array.fromAsync(
    ReadableStream.from([chunk]).pipeThrough(
      new IntNDecoderStream({ prefixLength: 2 }),
    ),
  );
  assert.equal(frames[0].buffer, chunk.buffer);
  assert.equal(frames[1].byteOffset, 7);
});

Deno.test("IntNDecoderStream delivers every frame decoded before an error, then errors", async () => {
  const { promise: cancelled, resolve: cancel } = Promise.withResolvers<
    unknown
  >();
  const source = new ReadableStream<Uint8Array>({
    start(controller): void {
      controller.enqueue(
        join([frame(1, "a"), frame(1, "b"), new Uint8Array([11])]),
      );
    },
    cancel(reason): void {
      cancel(reason);
    },
  });
  const reader = source
    .pipeThrough(new IntNDecoderStream({ prefixLength: 1, maxLength: 10 }))
    .getReader();
  // The source is cancelled before anything is read.
  assert.ok(await cancelled instanceof LengthLimitExceededError);
  assert.equal(dec.decode((await reader.read()).value), "a");
  assert.equal(dec.decode((await reader.read()).value), "b");
  await assert.rejects(reader.read(), LengthLimitExceededError);
});
