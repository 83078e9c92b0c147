// ByteQueue (protocols/_byte_queue.ts), the chunked FIFO under every parser:
// byteAt, indexOf, take, skip and clear across chunk boundaries, checked
// against a plain array model. indexOf is part of its contract (see
// notes/common.md) though no parser calls it today.

import assert from "node:assert/strict";
import fc from "fast-check";
import { ByteQueue } from "../../protocols/_byte_queue.ts";

const b = (...bytes: number[]): Uint8Array => new Uint8Array(bytes);

function naiveIndexOf(hay: number[], needle: Uint8Array, from: number): number {
  outer: for (let i = Math.max(0, from); i + needle.length <= hay.length; i++) {
    for (let k = 0; k < needle.length; k++) {
      if (hay[i + k] !== needle[k]) continue outer;
    }
    return i;
  }
  return -1;
}

Deno.test("ByteQueue: indexOf finds a needle inside one chunk, across chunks, and from an offset", () => {
  const queue = new ByteQueue();
  queue.push(b(1, 2, 3));
  queue.push(b(4));
  queue.push(b(5, 1, 2));
  assert.equal(queue.indexOf(b(2, 3)), 1); // inside the first chunk
  assert.equal(queue.indexOf(b(3, 4, 5)), 2); // spans three chunks
  assert.equal(queue.indexOf(b(1, 2)), 0);
  assert.equal(queue.indexOf(b(1, 2), 1), 5); // from skips the first match
  assert.equal(queue.indexOf(b(2, 9)), -1); // first byte matches, rest not
  assert.equal(queue.indexOf(b(2, 3, 4, 5, 1, 2, 7)), -1); // runs off the end
  assert.equal(queue.indexOf(b(9)), -1); // first byte nowhere
  assert.equal(queue.indexOf(b(2), 7), -1); // from past the end
});

Deno.test("ByteQueue: indexOf counts from the front after take and skip (head offset)", () => {
  const queue = new ByteQueue();
  queue.push(b(7, 7, 1, 2));
  queue.push(b(1, 2, 3));
  queue.skip(1); // [7, 1, 2 | 1, 2, 3]
  assert.equal(queue.indexOf(b(7)), 0);
  assert.equal(queue.indexOf(b(1, 2)), 1);
  assert.equal(queue.indexOf(b(1, 2), 2), 3);
  assert.deepEqual(queue.take(2), b(7, 1)); // a view of the first chunk
  assert.equal(queue.indexOf(b(2, 1)), 0); // spans the boundary
  assert.equal(queue.indexOf(b(3)), 3);
  assert.equal(queue.byteAt(3), 3);
});

Deno.test("ByteQueue: take returns a view within a chunk and one copy across chunks", () => {
  const first = b(1, 2, 3, 4);
  const queue = new ByteQueue();
  queue.push(first);
  queue.push(new Uint8Array(0)); // ignored
  queue.push(b(5, 6));
  assert.equal(queue.length, 6);
  const view = queue.take(2);
  assert.equal(view.buffer, first.buffer); // no copy
  assert.deepEqual(view, b(1, 2));
  const copy = queue.take(3);
  assert.notEqual(copy.buffer, first.buffer);
  assert.deepEqual(copy, b(3, 4, 5));
  assert.equal(queue.take(0).length, 0);
  assert.deepEqual(queue.takeAll(), b(6));
  assert.equal(queue.length, 0);
  assert.equal(queue.indexOf(b(6)), -1);
});

Deno.test("ByteQueue: skip is clamped to the length, clear empties", () => {
  const queue = new ByteQueue();
  queue.push(b(1, 2));
  queue.skip(10);
  assert.equal(queue.length, 0);
  queue.push(b(3, 4));
  queue.push(b(5));
  queue.clear();
  assert.equal(queue.length, 0);
  queue.push(b(8));
  assert.deepEqual(queue.takeAll(), b(8));
});

Deno.test("ByteQueue: many one-byte chunks consumed one by one stay in order (head compaction)", () => {
  const queue = new ByteQueue();
  for (let i = 0; i < 300; i++) queue.push(b(i & 0xff));
  const out: number[] = [];
  for (let i = 0; i < 200; i++) out.push(queue.take(1)[0]);
  assert.equal(queue.length, 100);
  assert.equal(queue.byteAt(0), 200 & 0xff);
  assert.equal(queue.indexOf(b(250 & 0xff, 251 & 0xff)), 50);
  for (let i = 0; i < 100; i++) out.push(queue.take(1)[0]);
  assert.deepEqual(out, Array.from({ length: 300 }, (_, i) => i & 0xff));
});

Deno.test("ByteQueue: matches an array model under random pushes, takes, skips, peeks and searches", () => {
  const op = fc.oneof(
    fc.record({
      kind: fc.constant("push" as const),
      bytes: fc.uint8Array({ maxLength: 6, max: 255 }).map((bytes) =>
        bytes.map((x) => x % 4 === 0 ? x : x % 4)
      ),
    }),
    fc.record({ kind: fc.constant("take" as const), n: fc.nat(8) }),
    fc.record({ kind: fc.constant("skip" as const), n: fc.nat(8) }),
    fc.record({
      kind: fc.constant("peek" as const),
      n: fc.integer({ min: 1, max: 4 }),
    }),
    fc.record({
      kind: fc.constant("find" as const),
      needle: fc.uint8Array({ minLength: 1, maxLength: 3, max: 3 }),
      from: fc.nat(10),
    }),
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
      const queue = new ByteQueue();
      let model: number[] = [];
      for (const o of ops) {
        if (o.kind === "push") {
          queue.push(o.bytes.slice());
          model.push(...o.bytes);
        } else if (o.kind === "take") {
          const n = Math.min(o.n, model.length);
          assert.deepEqual([...queue.take(n)], model.slice(0, n));
          model = model.slice(n);
        } else if (o.kind === "skip") {
          queue.skip(o.n);
          model = model.slice(Math.min(o.n, model.length));
        } else if (o.kind === "peek") {
          if (model.length < o.n) continue;
          const expected = model.slice(0, o.n).reduce((v, x) => v * 256 + x, 0);
          assert.equal(queue.peekUint(o.n), expected);
        } else {
          assert.equal(
            queue.indexOf(o.needle, o.from),
            naiveIndexOf(model, o.needle, o.from),
          );
        }
        assert.equal(queue.length, model.length);
        for (let i = 0; i < model.length; i++) {
          assert.equal(queue.byteAt(i), model[i]);
        }
      }
    }),
    { numRuns: 300, seed: 7 },
  );
});
