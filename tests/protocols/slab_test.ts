// The shared slabs small arrays are carved from (protocols/_slab.ts): a region
// is handed out once and never overlaps another.

import assert from "node:assert/strict";
import {
  allocBytes,
  copyBytes,
  MAX_SLAB_BYTES,
} from "../../protocols/_slab.ts";

const overlaps = (a: Uint8Array, b: Uint8Array): boolean =>
  a.buffer === b.buffer &&
  a.byteOffset < b.byteOffset + b.length &&
  b.byteOffset < a.byteOffset + a.length;

Deno.test("allocBytes: small arrays are zeroed, disjoint regions of shared slabs", () => {
  const arrays = Array.from({ length: 400 }, (_, i) => allocBytes(1 + i % 97));
  for (const [i, a] of arrays.entries()) {
    assert.equal(a.length, 1 + i % 97);
    assert.ok(a.every((x) => x === 0));
    a.fill(i & 0xff);
  }
  for (let i = 0; i < arrays.length; i++) {
    for (let j = i + 1; j < arrays.length; j++) {
      assert.ok(!overlaps(arrays[i], arrays[j]), `${i} overlaps ${j}`);
    }
  }
  // Writing each one touched no other.
  for (const [i, a] of arrays.entries()) {
    assert.ok(a.every((x) => x === (i & 0xff)));
  }
  const buffers = new Set(arrays.map((a) => a.buffer));
  assert.ok(buffers.size < arrays.length / 10, "shared, not one per array");
});

Deno.test("allocBytes: an array over MAX_SLAB_BYTES gets a buffer of its own", () => {
  const big = allocBytes(MAX_SLAB_BYTES + 1);
  assert.equal(big.byteOffset, 0);
  assert.equal(big.buffer.byteLength, MAX_SLAB_BYTES + 1);
  assert.equal(allocBytes(MAX_SLAB_BYTES).length, MAX_SLAB_BYTES);
});

Deno.test("copyBytes: copies the first n bytes into a region of its own", () => {
  const source = new Uint8Array([1, 2, 3, 4, 5]);
  const copy = copyBytes(source, 3);
  assert.deepEqual(copy, new Uint8Array([1, 2, 3]));
  source[0] = 9;
  assert.equal(copy[0], 1);
  assert.deepEqual(copyBytes(source), source);
  const big = new Uint8Array(MAX_SLAB_BYTES + 10).fill(7);
  assert.deepEqual(copyBytes(big), big);
});
