// The write side of every transport (endpoints/_write_buffer.ts): small
// writes are copied at once into a tail that leaves as one write, large ones
// are queued as they are. Checked against a byte model under random writes,
// partial socket writes and STARTTLS holds; and the flush timing: a
// microtask, or the flushNow() that ends a deferFlush().

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

Deno.test("WriteBuffer: bytes leave in order, whatever the mix of sizes and partial writes", async () => {
  const op = fc.oneof(
    fc.record({
      kind: fc.constant("write" as const),
      size: fc.oneof(
        fc.integer({ min: 0, max: 8 }),
        fc.integer({ min: 9, max: 512 }),
        fc.integer({ min: 513, max: 5000 }),
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
        if (o.kind === "write") {
          const bytes = new Uint8Array(o.size);
          for (let i = 0; i < bytes.length; i++) bytes[i] = stamp++ & 0xff;
          s.buffer.write(bytes);
          model.push(...bytes);
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
