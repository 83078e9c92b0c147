// Small byte arrays carved out of shared slabs. In Deno every
// `new Uint8Array(n)` gets a backing store of its own, outside the V8 heap:
// malloc, zero-fill and GC tracking cost ~0.8 µs however small n is, which is
// more than the rest of the work on a 64-byte frame. A region of a slab costs
// a view: one ArrayBuffer per SLAB_SIZE bytes instead of one per array.
//
// A region is handed out once and never again, so bytes given away are never
// written over. What keeps a region keeps its whole slab alive, so slabs are
// small, and only arrays up to MAX_SLAB_BYTES come from them.

const SLAB_SIZE = 16 * 1024;

/** The largest array served from a slab; larger ones get a buffer of their own. */
export const MAX_SLAB_BYTES = 4 * 1024;

let slab = new ArrayBuffer(0);
let slabOffset = 0;

/** A new zero-filled array of `n` bytes, from a slab when it is small. */
export function allocBytes(n: number): Uint8Array {
  if (n > MAX_SLAB_BYTES) return new Uint8Array(n);
  if (slabOffset + n > slab.byteLength) {
    slab = new ArrayBuffer(SLAB_SIZE);
    slabOffset = 0;
  }
  const bytes = new Uint8Array(slab, slabOffset, n);
  slabOffset += n;
  return bytes;
}

/** A copy of `source[0..n)` in an array of its own (a slab region when small). */
export function copyBytes(
  source: Uint8Array,
  n: number = source.length,
): Uint8Array {
  const copy = allocBytes(n);
  copy.set(n === source.length ? source : source.subarray(0, n));
  return copy;
}
