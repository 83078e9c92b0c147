// A FIFO of received bytes kept as the chunks they arrived in. Appending is
// O(1) and taking a frame copies at most that frame, so buffering stays linear
// in the bytes received whatever the chunking (Twisted re-concatenates its
// whole buffer per chunk, which is quadratic: Twisted #2611, #6356-#6358).

const EMPTY = new Uint8Array(0);

/** Bytes received and not yet consumed, as a queue of chunk views. */
export class ByteQueue {
  #chunks: Uint8Array[] = [];
  // Index of the first live chunk and the offset into it: shifting an array
  // per frame would be quadratic too.
  #head = 0;
  #offset = 0;
  #length = 0;

  /** Bytes held. */
  get length(): number {
    return this.#length;
  }

  /** Append a chunk (kept by reference: the caller must not change it). */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#length += chunk.length;
  }

  /** The byte at `index` from the front; `index` must be below `length`. */
  byteAt(index: number): number {
    let i = this.#head;
    let at = index + this.#offset;
    while (at >= this.#chunks[i].length) {
      at -= this.#chunks[i].length;
      i++;
    }
    return this.#chunks[i][at];
  }

  /**
   * Position of `needle` at or after `from`, or -1. Scans each chunk with the
   * native `indexOf` for the first byte, so a long buffer is scanned once.
   */
  indexOf(needle: Uint8Array, from = 0): number {
    const first = needle[0];
    let base = -this.#offset; // position of the current chunk's byte 0
    for (let i = this.#head; i < this.#chunks.length; i++) {
      const chunk = this.#chunks[i];
      let at = Math.max(from - base, i === this.#head ? this.#offset : 0);
      while (at < chunk.length) {
        at = chunk.indexOf(first, at);
        if (at === -1) break;
        if (this.#matchesAt(needle, i, at)) return base + at;
        at++;
      }
      base += chunk.length;
    }
    return -1;
  }

  #matchesAt(needle: Uint8Array, chunkIndex: number, at: number): boolean {
    let i = chunkIndex;
    let chunk = this.#chunks[i];
    for (let k = 1; k < needle.length; k++) {
      if (++at === chunk.length) {
        if (++i === this.#chunks.length) return false;
        chunk = this.#chunks[i];
        at = 0;
      }
      if (chunk[at] !== needle[k]) return false;
    }
    return true;
  }

  /**
   * Remove and return the first `n` bytes: a view when they lie in one chunk,
   * else one copy. `n` must not exceed `length`.
   */
  take(n: number): Uint8Array {
    if (n === 0) return EMPTY;
    const chunk = this.#chunks[this.#head];
    const start = this.#offset;
    const end = start + n;
    if (end < chunk.length) {
      // The common case, kept free of the bookkeeping of #advance.
      this.#offset = end;
      this.#length -= n;
      return chunk.subarray(start, end);
    }
    if (end === chunk.length) {
      this.#advance(n);
      return start === 0 ? chunk : chunk.subarray(start, end);
    }
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const current = this.#chunks[this.#head];
      const part = current.subarray(
        this.#offset,
        Math.min(current.length, this.#offset + n - filled),
      );
      out.set(part, filled);
      filled += part.length;
      this.#advance(part.length);
    }
    return out;
  }

  /**
   * The first `n` bytes (1 to 4, all buffered) as an unsigned big-endian
   * integer, without consuming them.
   */
  peekUint(n: number): number {
    const chunk = this.#chunks[this.#head];
    const at = this.#offset;
    let value = 0;
    if (at + n <= chunk.length) {
      for (let i = 0; i < n; i++) value = value * 256 + chunk[at + i];
    } else {
      for (let i = 0; i < n; i++) value = value * 256 + this.byteAt(i);
    }
    return value;
  }

  skip(n: number): void {
    const end = this.#offset + n;
    if (this.#length > 0 && end < this.#chunks[this.#head].length) {
      this.#offset = end;
      this.#length -= n;
    } else this.#advance(Math.min(n, this.#length));
  }

  /** Remove and return everything held. */
  takeAll(): Uint8Array {
    return this.take(this.#length);
  }

  /** Drop everything held. */
  clear(): void {
    this.#chunks = [];
    this.#head = 0;
    this.#offset = 0;
    this.#length = 0;
  }

  #advance(n: number): void {
    this.#length -= n;
    this.#offset += n;
    while (
      this.#head < this.#chunks.length &&
      this.#offset >= this.#chunks[this.#head].length
    ) {
      this.#offset -= this.#chunks[this.#head].length;
      this.#head++;
    }
    if (this.#head === this.#chunks.length) {
      // Emptied (after most reads): pop rather than `= []` or `length = 0`,
      // which both allocate a new backing store for the next push.
      const chunks = this.#chunks;
      while (chunks.length > 0) chunks.pop();
      this.#head = 0;
      this.#offset = 0;
    } else if (this.#head > 64 && this.#head * 2 > this.#chunks.length) {
      this.#chunks = this.#chunks.slice(this.#head);
      this.#head = 0;
    }
  }
}
