// Property tests for both framings: whatever the chunking, the parser, the
// receivers and the decoder streams agree with a whole-buffer reference
// decoder, on valid input and on garbage; garbage ends in frames or exactly
// one named error; a parser never holds more than its bound.

import assert from "node:assert/strict";
import fc from "fast-check";
import {
  encodeIntN,
  IntNParser,
  sendIntN,
} from "../../protocols/_int_n_parser.ts";
import {
  encodeNetstring,
  NetstringParser,
  sendNetstring,
} from "../../protocols/_netstring_parser.ts";
import { writeParts } from "../../protocols/_write_parts.ts";
import { IntNStringReceiver } from "../../protocols/int_n_string_receiver.ts";
import { IntNDecoderStream } from "../../protocols/int_n_streams.ts";
import { LengthLimitExceededError } from "../../protocols/length_limit_exceeded_error.ts";
import { NetstringParseError } from "../../protocols/netstring_parse_error.ts";
import { NetstringReceiver } from "../../protocols/netstring_receiver.ts";
import { NetstringDecoderStream } from "../../protocols/netstring_streams.ts";
import { TruncatedFrameError } from "../../protocols/truncated_frame_error.ts";
import { StringTransport } from "../../testing/string_transport.ts";

const params = { seed: 0x7047, numRuns: 300 };

/** What decoding a whole input yields: frames, then how it ended. */
interface Outcome {
  frames: Uint8Array[];
  /** "" for a clean end, "truncated", or the message of the parse error. */
  end: string;
}

const hex = (c: string): string =>
  "0x" + c.charCodeAt(0).toString(16).padStart(2, "0");

/** The netstring grammar over a whole buffer, written independently of the parser. */
function referenceNetstring(bytes: Uint8Array, max: number): Outcome {
  const s = String.fromCharCode(...bytes);
  const frames: Uint8Array[] = [];
  let i = 0;
  while (i < s.length) {
    const digits = /^[0-9]*/.exec(s.slice(i))![0];
    if (digits === "") {
      return {
        frames,
        end: s[i] === ":"
          ? "Netstring is missing its length"
          : `Netstring does not start with a length: got ${hex(s[i])}`,
      };
    }
    if (digits[0] === "0" && digits.length > 1) {
      return { frames, end: "Netstring length has a leading zero" };
    }
    for (let k = 1; k <= digits.length; k++) {
      const value = Number(digits.slice(0, k));
      if (value > max) {
        return {
          frames,
          end: `Netstring length exceeds MAX_LENGTH: ${value} > ${max}`,
        };
      }
    }
    const colon = i + digits.length;
    if (colon === s.length) return { frames, end: "truncated" };
    if (s[colon] !== ":") {
      return {
        frames,
        end: `Netstring length is not followed by a colon: got ${
          hex(s[colon])
        }`,
      };
    }
    const start = colon + 1;
    const comma = start + Number(digits);
    if (comma >= s.length) return { frames, end: "truncated" };
    if (s[comma] !== ",") {
      return {
        frames,
        end: `Netstring is missing its comma: got ${hex(s[comma])}`,
      };
    }
    frames.push(bytes.slice(start, comma));
    i = comma + 1;
  }
  return { frames, end: "" };
}

function referenceIntN(
  bytes: Uint8Array,
  prefixLength: 1 | 2 | 4,
  max: number,
): Outcome {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const frames: Uint8Array[] = [];
  let i = 0;
  while (i < bytes.length) {
    if (i + prefixLength > bytes.length) return { frames, end: "truncated" };
    const length = prefixLength === 1
      ? view.getUint8(i)
      : prefixLength === 2
      ? view.getUint16(i)
      : view.getUint32(i);
    if (length > max) {
      return {
        frames,
        end: `Frame length exceeds MAX_LENGTH: ${length} > ${max}`,
      };
    }
    const start = i + prefixLength;
    if (start + length > bytes.length) return { frames, end: "truncated" };
    frames.push(bytes.slice(start, start + length));
    i = start + length;
  }
  return { frames, end: "" };
}

/** Cut `bytes` into chunks of the given sizes, cycling through them. */
function chunk(bytes: Uint8Array, sizes: number[]): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let at = 0, k = 0; at < bytes.length; k++) {
    const size = sizes[k % sizes.length];
    chunks.push(bytes.slice(at, at + size));
    at += size;
  }
  return chunks;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

interface Parser {
  push(chunk: Uint8Array): void;
  next(): Uint8Array | undefined;
  end(): void;
  readonly bufferedLength: number;
}

/** Run a parser over chunks, checking its memory bound after each drain. */
function runParser(
  parser: Parser,
  chunks: Uint8Array[],
  bound: number,
): Outcome {
  const frames: Uint8Array[] = [];
  try {
    for (const c of chunks) {
      parser.push(c);
      for (let f = parser.next(); f !== undefined; f = parser.next()) {
        frames.push(f);
      }
      assert.ok(
        parser.bufferedLength <= bound,
        `buffered ${parser.bufferedLength} > ${bound}`,
      );
    }
    parser.end();
    return { frames, end: "" };
  } catch (error) {
    if (error instanceof TruncatedFrameError) {
      return { frames, end: "truncated" };
    }
    assert.ok(
      error instanceof NetstringParseError ||
        error instanceof LengthLimitExceededError,
      `unexpected ${error}`,
    );
    assert.equal(parser.bufferedLength, 0); // a failed parser lets go of its bytes
    assert.throws(() => parser.next(), (again: unknown) => again === error);
    return { frames, end: error.message };
  }
}

async function runStream(
  stream: TransformStream<Uint8Array, Uint8Array>,
  chunks: Uint8Array[],
): Promise<Outcome> {
  const frames: Uint8Array[] = [];
  try {
    for await (const f of ReadableStream.from(chunks).pipeThrough(stream)) {
      frames.push(f);
    }
    return { frames, end: "" };
  } catch (error) {
    if (error instanceof TruncatedFrameError) {
      return { frames, end: "truncated" };
    }
    assert.ok(
      error instanceof NetstringParseError ||
        error instanceof LengthLimitExceededError,
      `unexpected ${error}`,
    );
    return { frames, end: error.message };
  }
}

/** Run a receiver: it never signals truncation, so that reads as a clean end. */
function runReceiver(
  receiver: NetstringReceiver | IntNStringReceiver,
  chunks: Uint8Array[],
): Outcome {
  const frames: Uint8Array[] = [];
  const errors: string[] = [];
  receiver.stringReceived = (data) => frames.push(data.slice());
  if (receiver instanceof NetstringReceiver) {
    receiver.netstringParseError = (error) => errors.push(error.message);
  } else {
    receiver.lengthLimitExceeded = (length) =>
      errors.push(
        `Frame length exceeds MAX_LENGTH: ${length} > ${receiver.MAX_LENGTH}`,
      );
  }
  receiver.makeConnection(new StringTransport());
  for (const c of chunks) receiver.dataReceived(c);
  assert.ok(errors.length <= 1);
  return { frames, end: errors[0] ?? "" };
}

const withoutTruncation = (o: Outcome): Outcome => ({
  ...o,
  end: o.end === "truncated" ? "" : o.end,
});

const sizes = fc.array(fc.integer({ min: 1, max: 40 }), {
  minLength: 1,
  maxLength: 8,
});
const payloads = fc.array(fc.uint8Array({ maxLength: 80 }), { maxLength: 12 });
const prefixLengths = fc.constantFrom(1 as const, 2 as const, 4 as const);

/** Netstring-ish garbage: valid frames mixed with tokens that break the grammar. */
const netstringGarbage = fc.array(
  fc.oneof(
    fc.uint8Array({ maxLength: 20 }).map((p) => encodeNetstring(p)),
    fc.constantFrom(..."0123456789:,-+ a".split("")).map((c) =>
      new TextEncoder().encode(c)
    ),
    fc.uint8Array({ maxLength: 6 }),
  ),
  { maxLength: 15 },
).map(concat);

const intNGarbage = fc.array(
  fc.oneof(
    fc.uint8Array({ maxLength: 30 }),
    fc.constantFrom(
      new Uint8Array([0]),
      new Uint8Array([0xff]),
      new Uint8Array([0, 0, 0, 5]),
    ),
  ),
  { maxLength: 12 },
).map(concat);

Deno.test("Netstring: any frames, any chunking, decode to the same frames everywhere", async () => {
  await fc.assert(
    fc.asyncProperty(payloads, sizes, async (frames, cut) => {
      const chunks = chunk(concat(frames.map((p) => encodeNetstring(p))), cut);
      const expected = { frames, end: "" };
      assert.deepEqual(
        runParser(new NetstringParser(), chunks, 99999),
        expected,
      );
      assert.deepEqual(runReceiver(new NetstringReceiver(), chunks), expected);
      assert.deepEqual(
        await runStream(new NetstringDecoderStream(), chunks),
        expected,
      );
    }),
    params,
  );
});

Deno.test("Netstring: garbage yields the reference frames and at most one named error", async () => {
  await fc.assert(
    fc.asyncProperty(
      netstringGarbage,
      sizes,
      fc.integer({ min: 0, max: 30 }),
      async (bytes, cut, max) => {
        const expected = referenceNetstring(bytes, max);
        const chunks = chunk(bytes, cut);
        assert.deepEqual(
          runParser(new NetstringParser(max), chunks, max),
          expected,
        );
        assert.deepEqual(
          await runStream(
            new NetstringDecoderStream({ maxLength: max }),
            chunks,
          ),
          expected,
        );
        const receiver = new NetstringReceiver();
        receiver.MAX_LENGTH = max;
        assert.deepEqual(
          runReceiver(receiver, chunks),
          withoutTruncation(expected),
        );
      },
    ),
    params,
  );
});

Deno.test("IntN: any frames, any chunking, decode to the same frames everywhere", async () => {
  await fc.assert(
    fc.asyncProperty(
      payloads,
      sizes,
      prefixLengths,
      async (frames, cut, prefixLength) => {
        const chunks = chunk(
          concat(frames.map((p) => encodeIntN(p, prefixLength))),
          cut,
        );
        const expected = { frames, end: "" };
        assert.deepEqual(
          runParser(new IntNParser(prefixLength), chunks, 99999),
          expected,
        );
        const receiver = new IntNStringReceiver();
        receiver.prefixLength = prefixLength;
        assert.deepEqual(runReceiver(receiver, chunks), expected);
        assert.deepEqual(
          await runStream(new IntNDecoderStream({ prefixLength }), chunks),
          expected,
        );
      },
    ),
    params,
  );
});

Deno.test("IntN: garbage yields the reference frames and at most one named error", async () => {
  await fc.assert(
    fc.asyncProperty(
      intNGarbage,
      sizes,
      prefixLengths,
      fc.integer({ min: 0, max: 40 }),
      async (bytes, cut, prefixLength, max) => {
        const expected = referenceIntN(bytes, prefixLength, max);
        const chunks = chunk(bytes, cut);
        const bound = Math.max(max, prefixLength - 1);
        assert.deepEqual(
          runParser(new IntNParser(prefixLength, max), chunks, bound),
          expected,
        );
        assert.deepEqual(
          await runStream(
            new IntNDecoderStream({ prefixLength, maxLength: max }),
            chunks,
          ),
          expected,
        );
        const receiver = new IntNStringReceiver();
        receiver.prefixLength = prefixLength;
        receiver.MAX_LENGTH = max;
        assert.deepEqual(
          runReceiver(receiver, chunks),
          withoutTruncation(expected),
        );
      },
    ),
    params,
  );
});

Deno.test("Netstring: a length of any size is refused within digits(MAX_LENGTH) + 1 bytes", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 10 ** 6 }),
      fc.bigInt({ min: 1n, max: 10n ** 30n }),
      (max, extra) => {
        const parser = new NetstringParser(max);
        const digits = String(BigInt(max) + extra);
        let fed = 0;
        assert.throws(() => {
          for (; fed < digits.length;) {
            parser.push(new TextEncoder().encode(digits[fed++]));
            parser.next();
            assert.equal(parser.bufferedLength, 0);
          }
        }, NetstringParseError);
        assert.ok(
          fed <= String(max).length + 1,
          `${digits} refused after ${fed} digits`,
        );
      },
    ),
    params,
  );
});

// A transport with the three-piece write ConnTransport has: it records how
// often that path was taken, and writes the pieces in order.
class PartsTransport extends StringTransport {
  partsWrites = 0;
  [writeParts](
    head: Uint8Array,
    payload: Uint8Array,
    trailer: Uint8Array | null,
  ): void {
    this.partsWrites++;
    this.write(head);
    this.write(payload);
    if (trailer !== null) this.write(trailer);
  }
}

// The senders write pieces whose small heads are made once and shared (a
// cache below 256): whatever the order of lengths, on both sides of that
// boundary, what they send says exactly what the one-array encoders say,
// through a transport's three-piece write or through writeSequence.
Deno.test("Senders: what any frame sends equals its one-array encoding, cached heads included", () => {
  const lengths = fc.array(
    fc.oneof(
      fc.integer({ min: 0, max: 300 }),
      fc.constantFrom(0, 1, 9, 10, 99, 100, 255, 256, 257, 65535, 65536),
    ),
    { minLength: 1, maxLength: 30 },
  );
  const sent = (send: (transport: StringTransport) => void): Uint8Array[] => {
    const plain = new StringTransport();
    const parts = new PartsTransport();
    send(plain);
    send(parts);
    assert.equal(parts.partsWrites, 1);
    return [plain.value(), parts.value()];
  };
  fc.assert(
    fc.property(lengths, prefixLengths, (sizes, prefixLength) => {
      for (const size of sizes) {
        const payload = new Uint8Array(size).fill(size & 0xff);
        const netstring = encodeNetstring(payload);
        for (const bytes of sent((t) => sendNetstring(t, payload))) {
          assert.deepEqual(bytes, netstring);
        }
        if (size <= 2 ** (8 * prefixLength) - 1) {
          const framed = encodeIntN(payload, prefixLength);
          for (const bytes of sent((t) => sendIntN(t, payload, prefixLength))) {
            assert.deepEqual(bytes, framed);
          }
        }
      }
    }),
    params,
  );
});
