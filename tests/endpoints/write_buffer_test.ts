// The write side of every transport (endpoints/_write_buffer.ts): small
// writes are copied at once into a tail that leaves as one write, large ones
// are queued as they are; short strings are encoded straight into the tail;
// a framed message (writeParts) is its three pieces. Checked against a byte
// model under random writes, partial socket writes and STARTTLS holds; and
// the flush timing: a microtask, or the flushNow() that ends a deferFlush().

import assert from "node:assert/strict";
import fc from "fast-check";
import { WriteBuffer } from "../../endpoints/_write_buffer.ts";

interface Socket {
  buffer: WriteBuffer;
  /** Bytes the "operating system" took, in order. */
  sent: number[];
  /** Writes waiting for the test to say how much was taken. */
  pending: { bytes: Uint8Array; resolve(n: number): void }[];
  empties: number;
}

function socket(): Socket {
  const s: Socket = {
    sent: [],
    pending: [],
    empties: 0,
    buffer: null as unknown as WriteBuffer,
  };
  s.buffer = new WriteBuffer({
    write: (bytes) => {
      const { promise, resolve } = Promise.withResolvers<number>();
      // The bytes are read when the write completes, as a socket would.
      s.pending.push({
        bytes,
        resolve: (n) => {
          s.sent.push(...bytes.subarray(0, n));
          resolve(n);
        },
      });
      return promise;
    },
    onEmpty: () => s.empties++,
    onError: (error) => {
      throw error;
    },
    onProducerError: (error) => {
      throw error;
    },
  });
  return s;
}

const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

const encoder = new TextEncoder();

Deno.test("WriteBuffer: bytes leave in order, whatever the mix of sizes, strings, framed messages and partial writes", async () => {
  const size = fc.oneof(
    fc.integer({ min: 0, max: 8 }),
    fc.integer({ min: 9, max: 512 }),
    fc.integer({ min: 513, max: 5000 }),
  );
  const op = fc.oneof(
    fc.record({ kind: fc.constant("write" as const), size }),
    fc.record({
      kind: fc.constant("parts" as const),
      sizes: fc.tuple(size, size, fc.option(size)),
    }),
    fc.record({
      kind: fc.constant("text" as const),
      text: fc.oneof(
        fc.string({ unit: "grapheme", maxLength: 200 }),
        fc.string({ unit: "binary", maxLength: 200 }),
        fc.string({ maxLength: 600 }),
      ),
    }),
    fc.record({
      kind: fc.constant("complete" as const),
      fraction: fc.double({ min: 0, max: 1, noNaN: true }),
    }),
    fc.record({ kind: fc.constant("tick" as const) }),
  );
  await fc.assert(
    fc.asyncProperty(fc.array(op, { maxLength: 60 }), async (ops) => {
      const s = socket();
      const model: number[] = [];
      let stamp = 0;
      for (const o of ops) {
        const stamped = (n: number): Uint8Array => {
          const bytes = new Uint8Array(n);
          for (let i = 0; i < n; i++) bytes[i] = stamp++ & 0xff;
          model.push(...bytes);
          return bytes;
        };
        if (o.kind === "write") {
          s.buffer.write(stamped(o.size));
        } else if (o.kind === "parts") {
          const [head, payload, trailer] = o.sizes;
          s.buffer.writeParts(
            stamped(head),
            stamped(payload),
            trailer === null ? null : stamped(trailer),
          );
        } else if (o.kind === "text") {
          s.buffer.writeString(o.text);
          model.push(...encoder.encode(o.text));
        } else if (o.kind === "complete") {
          const write = s.pending.shift();
          if (write === undefined) continue;
          const n = Math.max(1, Math.floor(write.bytes.length * o.fraction));
          write.resolve(Math.min(n, write.bytes.length));
        } else {
          // A completed write is counted once the flush resumes.
          await tick();
          assert.equal(
            s.buffer.bufferedAmount,
            model.length - s.sent.length,
          );
        }
      }
      // Drain: complete every write in full until nothing is left.
      for (let rounds = 0; rounds < 1000; rounds++) {
        await tick();
        const write = s.pending.shift();
        if (write === undefined) break;
        write.resolve(write.bytes.length);
      }
      assert.deepEqual(s.sent, model);
      assert.equal(s.buffer.bufferedAmount, 0);
    }),
    { seed: 0x3b, numRuns: 200 },
  );
});

Deno.test("WriteBuffer: the small writes of one tick leave as one write", async () => {
  const s = socket();
  for (let i = 0; i < 100; i++) {
    s.buffer.write(new Uint8Array([i]));
    s.buffer.write(new Uint8Array(60).fill(i));
  }
  await tick();
  assert.equal(s.pending.length, 1);
  assert.equal(s.pending[0].bytes.length, 100 * 61);
  s.pending[0].resolve(100 * 61);
  await tick();
  assert.equal(s.empties, 1);
});

Deno.test("WriteBuffer: a small write is copied when written; a large one is sent as it is", async () => {
  const s = socket();
  const small = new Uint8Array([1, 2, 3]);
  s.buffer.write(small);
  small[0] = 9; // too late: the bytes were taken
  await tick();
  assert.deepEqual([...s.pending[0].bytes], [1, 2, 3]);
  s.pending.shift()!.resolve(3);
  await tick();
  const large = new Uint8Array(4096).fill(5);
  s.buffer.write(large);
  await tick();
  assert.equal(s.pending[0].bytes, large, "no copy of a large chunk alone");
});

Deno.test("WriteBuffer: after deferFlush, writes wait for flushNow, not for a microtask", async () => {
  const s = socket();
  s.buffer.deferFlush();
  s.buffer.write(new Uint8Array([1]));
  await tick();
  assert.equal(s.pending.length, 0, "held until flushNow");
  s.buffer.write(new Uint8Array([2]));
  s.buffer.flushNow();
  assert.equal(s.pending.length, 1, "flushNow writes at once");
  assert.deepEqual([...s.pending[0].bytes], [1, 2]);
  s.pending.shift()!.resolve(2);
  await tick();
  // Deferral ends with flushNow: the next write goes by microtask again.
  s.buffer.write(new Uint8Array([3]));
  await tick();
  assert.equal(s.pending.length, 1);
});

Deno.test("WriteBuffer: hold lets out what was queued before it, the tail included, and keeps the rest", async () => {
  const s = socket();
  s.buffer.write(new Uint8Array([1, 2]));
  const held = s.buffer.hold();
  s.buffer.write(new Uint8Array([3])); // after the hold: must wait
  s.buffer.write(new Uint8Array(2000).fill(4));
  await tick();
  assert.equal(s.pending.length, 1);
  assert.deepEqual([...s.pending[0].bytes], [1, 2]);
  s.pending.shift()!.resolve(2);
  await held;
  await tick();
  assert.equal(s.pending.length, 0, "nothing after the hold leaves");
  s.buffer.release();
  await tick();
  const rest = s.pending.shift()!;
  assert.deepEqual([...rest.bytes.subarray(0, 2)], [3, 4]);
  assert.equal(rest.bytes.length, 2001);
});

Deno.test("WriteBuffer: clear drops the tail and the queue", async () => {
  const s = socket();
  s.buffer.write(new Uint8Array(10));
  s.buffer.write(new Uint8Array(3000));
  s.buffer.clear();
  assert.equal(s.buffer.bufferedAmount, 0);
  s.buffer.write(new Uint8Array(1));
  await tick();
  assert.equal(s.pending.length, 0);
});

Deno.test("WriteBuffer: a framed message and a short string join the tail; a long one is queued", async () => {
  const s = socket();
  const head = new Uint8Array([0, 3]);
  const payload = new Uint8Array([1, 2, 3]);
  s.buffer.writeParts(head, payload, new Uint8Array([44]));
  s.buffer.writeString("hé");
  s.buffer.writeParts(head, payload, null);
  head[0] = 9; // too late: the pieces were copied
  assert.equal(s.buffer.bufferedAmount, 6 + 3 + 5);
  await tick();
  assert.equal(s.pending.length, 1);
  assert.deepEqual(
    [...s.pending[0].bytes],
    [0, 3, 1, 2, 3, 44, 0x68, 0xc3, 0xa9, 0, 3, 1, 2, 3],
  );
  s.pending.shift()!.resolve(14);
  await tick();
  const long = new Uint8Array(600).fill(7);
  s.buffer.writeParts(head, long, null);
  s.buffer.writeString("x".repeat(200)); // up to 600 bytes: encoded apart
  await tick();
  const sent = s.pending.shift()!.bytes;
  assert.equal(sent.length, 2 + 600 + 200);
  assert.deepEqual([...sent.subarray(0, 3)], [9, 3, 7]);
});

Deno.test("WriteBuffer: a hook that throws after a write ends the flush through onError", async () => {
  const errors: unknown[] = [];
  let writes = 0;
  const buffer = new WriteBuffer({
    write: (bytes) => {
      writes++;
      return Promise.resolve(bytes.length);
    },
    onSent: () => {
      throw new Error("metrics broke");
    },
    onEmpty: () => {},
    onError: (error) => errors.push(error),
    onProducerError: (error) => errors.push(error),
  });
  buffer.write(new Uint8Array([1, 2, 3]));
  await tick();
  assert.equal(writes, 1);
  assert.equal(errors.length, 1);
  assert.equal((errors[0] as Error).message, "metrics broke");
  // The flush is over, not stuck: the next write leaves.
  buffer.write(new Uint8Array([4]));
  await tick();
  assert.equal(writes, 2);
});
