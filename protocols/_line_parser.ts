// The sans-IO line parser behind LineReceiver, LineOnlyReceiver and the line
// streams: bytes go in with feed(), lines come out of next(), one at a time,
// so a caller can stop between two lines of one chunk (to pause, or to switch
// to raw mode and take the rest with takeChunk()).
//
//   chunk:  h i \r \n w o r l d \r \n p a r
//           └─line─┘     └──line───┘     └ unfinished: kept in the queue
//
// Invariants between calls:
// - The queue holds at most one unfinished line (plus a partial delimiter):
//   no delimiter lies wholly inside it, and `#partial` is the length of its
//   longest suffix that is a prefix of the delimiter (the KMP state), so a new
//   chunk is searched from the boundary on and nothing is scanned twice.
// - The queue never holds more than maxLength + delimiter.length - 1 bytes:
//   an unfinished line is refused as soon as it can no longer end as a line of
//   at most maxLength bytes. Memory is that plus the chunk being read (and
//   chunks fed while the caller was not pulling, i.e. paused).
// - When the queue is empty (the usual case) the chunk itself is searched
//   (findByte: four bytes at a time) and lines are views of it, no copy; a
//   line spanning chunks is copied once.

import { ByteQueue } from "./_byte_queue.ts";
import { checkedBytes } from "./_encode.ts";
import { checkMaxLength } from "./_framing.ts";
import { LineTooLongError } from "./line_too_long_error.ts";
import type { Transport } from "./transport.ts";
import { sendParts } from "./_write_parts.ts";

const EMPTY = new Uint8Array(0);
const NO_WORDS = new Uint32Array(0);
// Lossy, and a U+FEFF at the start of a line is text, not a byte-order mark.
const decoder = new TextDecoder("utf-8", { ignoreBOM: true });

/** The delimiter as bytes; throws unless it is a non-empty string or bytes. */
export function delimiterBytes(delimiter: string | Uint8Array): Uint8Array {
  const bytes = checkedBytes(delimiter, "Delimiter");
  if (bytes.length === 0) throw new RangeError("Delimiter must not be empty");
  return bytes;
}

/** A line decoded as UTF-8, invalid sequences replaced by U+FFFD. */
export function decodeLine(line: Uint8Array): string {
  return decoder.decode(line);
}

/** Send `line` and its delimiter to `transport`, the line uncopied. */
export function sendLineTo(
  transport: Transport,
  line: string | Uint8Array,
  delimiter: string | Uint8Array,
): void {
  if (typeof line === "string" && typeof delimiter === "string") {
    transport.write(line + delimiter);
  } else {sendParts(
      transport,
      checkedBytes(line, "Line"),
      sendDelimiter(delimiter),
      null,
    );}
}

// The bytes of the last string delimiter sent: encoding it per line would
// cost an allocation per line.
let lastDelimiter = "\r\n";
let lastDelimiterBytes: Uint8Array = new Uint8Array([13, 10]);

function sendDelimiter(delimiter: string | Uint8Array): Uint8Array {
  if (typeof delimiter !== "string") return delimiterBytes(delimiter);
  if (delimiter !== lastDelimiter) {
    lastDelimiterBytes = delimiterBytes(delimiter);
    lastDelimiter = delimiter;
  }
  return lastDelimiterBytes;
}

/** `line` followed by the delimiter bytes, in one new array. */
export function encodeLine(
  line: string | Uint8Array,
  delimiter: Uint8Array,
): Uint8Array {
  const head = checkedBytes(line, "Line");
  const out = new Uint8Array(head.length + delimiter.length);
  out.set(head);
  out.set(delimiter, head.length);
  return out;
}

// fail[j]: length of the longest proper prefix of delimiter[0..j] that is
// also its suffix (Knuth-Morris-Pratt).
function failureTable(delimiter: Uint8Array): Int32Array {
  const fail = new Int32Array(delimiter.length);
  let k = 0;
  for (let i = 1; i < delimiter.length; i++) {
    while (k > 0 && delimiter[i] !== delimiter[k]) k = fail[k - 1];
    if (delimiter[i] === delimiter[k]) k++;
    fail[i] = k;
  }
  return fail;
}

// Index of `byte` in `chunk` at or after `from`, or -1. Reads four bytes at a
// time through `words` (a Uint32Array over `chunk` from `wordStart`, aligned)
// and tests each word with the "has a zero byte" bit trick on word ^ pattern:
// 1.3 to 2 times faster than the native indexOf here (bench/line_bench.ts),
// which pays a call into the runtime for each of these short searches.
function findByte(
  chunk: Uint8Array,
  words: Uint32Array,
  wordStart: number,
  byte: number,
  pattern: number,
  from: number,
): number {
  const n = chunk.length;
  let i = from;
  while (((i - wordStart) & 3) !== 0) {
    if (i >= n) return -1;
    if (chunk[i] === byte) return i;
    i++;
  }
  let w = (i - wordStart) >> 2;
  const end = words.length;
  while (w < end) {
    const v = words[w] ^ pattern;
    if (((v - 0x01010101) & ~v & 0x80808080) !== 0) break;
    w++;
  }
  for (i = wordStart + (w << 2); i < n; i++) if (chunk[i] === byte) return i;
  return -1;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Splits a byte stream into lines; see the notes at the top of the file. */
export class LineParser {
  #delimiter: Uint8Array;
  #fail: Int32Array;
  #maxLength: number;
  #queue = new ByteQueue();
  #partial = 0;
  #chunk: Uint8Array = EMPTY;
  #chunkBuffer: ArrayBufferLike = EMPTY.buffer;
  #chunkOffset = 0;
  #pos = 0;
  // The current chunk as aligned 32-bit words, for findByte.
  #words: Uint32Array = NO_WORDS;
  #wordStart = 0;
  // Chunks fed while the current one was not consumed yet (the caller is
  // paused, or switched modes); rarely more than one.
  #pending: Uint8Array[] = [];

  constructor(delimiter: Uint8Array, maxLength: number) {
    this.#delimiter = delimiterBytes(delimiter);
    this.#fail = failureTable(this.#delimiter);
    this.#maxLength = checkMaxLength(maxLength);
  }

  /** The delimiter. Changing it re-reads what is buffered with the new one. */
  get delimiter(): Uint8Array {
    return this.#delimiter;
  }
  set delimiter(delimiter: Uint8Array) {
    const bytes = delimiterBytes(delimiter);
    if (sameBytes(bytes, this.#delimiter)) return;
    this.#delimiter = bytes;
    this.#fail = failureTable(bytes);
    this.#requeue(EMPTY);
  }

  /** The longest line accepted, in bytes; takes effect at once. */
  get maxLength(): number {
    return this.#maxLength;
  }
  set maxLength(maxLength: number) {
    if (maxLength !== this.#maxLength) {
      this.#maxLength = checkMaxLength(maxLength);
    }
  }

  /** Bytes held: fed and not yet returned by next(), takeChunk() or takeAll(). */
  get bufferedLength(): number {
    let n = this.#queue.length + this.#chunk.length - this.#pos;
    for (const chunk of this.#pending) n += chunk.length;
    return n;
  }

  /** Append received bytes (kept by reference: never written into). */
  feed(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    if (this.#pos === this.#chunk.length && this.#pending.length === 0) {
      this.#setChunk(chunk);
    } else {
      this.#pending.push(chunk);
    }
  }

  /** Put bytes in front of everything held: they are parsed first. */
  unshift(bytes: Uint8Array): void {
    if (bytes.length !== 0) this.#requeue(bytes);
  }

  /**
   * The next line (without its delimiter), a `LineTooLongError`, or null when
   * more bytes are needed. After an error nothing is consumed: the caller
   * takes the bytes (takeAll) or drops them (clear).
   */
  next(): Uint8Array | LineTooLongError | null {
    const delimiter = this.#delimiter;
    const d = delimiter.length;
    const first = delimiter[0];
    const pattern = first * 0x01010101;
    const max = this.#maxLength;
    const queue = this.#queue;
    for (;;) {
      let chunk = this.#chunk;
      let pos = this.#pos;
      if (pos === chunk.length) {
        if (this.#pending.length === 0) {
          const least = queue.length - this.#partial;
          // Only after maxLength was lowered mid-line can this fail.
          return least > max ? new LineTooLongError(least, max) : null;
        }
        this.#setChunk(chunk = this.#pending.shift()!);
        pos = 0;
      }
      const queued = queue.length;
      let from = pos;
      if (this.#partial !== 0) {
        // The queue ends with the start of a delimiter: go on matching it
        // byte by byte until it completes or the match moves into the chunk.
        const fail = this.#fail;
        let s = this.#partial;
        let i = pos;
        while (s > i - pos && i < chunk.length) {
          const byte = chunk[i++];
          while (s > 0 && delimiter[s] !== byte) s = fail[s - 1];
          if (delimiter[s] === byte) s++;
          if (s === d) {
            const length = queued + (i - pos) - d;
            if (length > max) return new LineTooLongError(length, max);
            this.#pos = i;
            this.#partial = 0;
            const line = queue.take(length);
            queue.clear();
            return line;
          }
        }
        if (s > i - pos) {
          // The chunk ended inside the delimiter, which started in the queue.
          queue.push(pos === 0 ? chunk : chunk.subarray(pos));
          this.#partial = s;
          this.#setChunk(EMPTY);
          const least = queue.length - s;
          if (least > max) return new LineTooLongError(least, max);
          continue;
        }
        from = i - s;
      }
      // Find the delimiter in the chunk; or, failing that, the longest
      // suffix of the chunk that is a prefix of it (`partial`).
      const words = this.#words;
      const wordStart = this.#wordStart;
      let at = from;
      let partial = 0;
      for (;;) {
        at = findByte(chunk, words, wordStart, first, pattern, at);
        if (at === -1) break;
        if (d === 1) break;
        const end = at + d <= chunk.length ? d : chunk.length - at;
        let k = 1;
        while (k < end && chunk[at + k] === delimiter[k]) k++;
        if (k === d) break;
        if (k === end) {
          partial = k;
          at = -1;
          break;
        }
        at++;
      }
      if (at !== -1) {
        const length = queued + at - pos;
        if (length > max) return new LineTooLongError(length, max);
        this.#pos = at + d;
        if (queued === 0) {
          // A view made from the chunk's buffer and offset, read once per
          // chunk: cheaper than subarray, which reads them for every line.
          return new Uint8Array(
            this.#chunkBuffer,
            this.#chunkOffset + pos,
            at - pos,
          );
        }
        queue.push(chunk.subarray(pos, at));
        this.#partial = 0;
        return queue.takeAll();
      }
      const least = queued + chunk.length - pos - partial;
      if (least > max) return new LineTooLongError(least, max);
      queue.push(pos === 0 ? chunk : chunk.subarray(pos));
      this.#partial = partial;
      this.#setChunk(EMPTY);
    }
  }

  /**
   * Remove and return the next piece of what is held, in order (for raw
   * mode): the unfinished line, then the rest of each chunk; null when empty.
   */
  takeChunk(): Uint8Array | null {
    if (this.#queue.length !== 0) {
      this.#partial = 0;
      return this.#queue.takeAll();
    }
    const chunk = this.#chunk;
    const pos = this.#pos;
    if (pos < chunk.length) {
      this.#setChunk(EMPTY);
      return pos === 0 ? chunk : chunk.subarray(pos);
    }
    return this.#pending.shift() ?? null;
  }

  /** Remove and return everything held, as one array. */
  takeAll(): Uint8Array {
    const first = this.takeChunk();
    if (first === null) return EMPTY;
    const second = this.takeChunk();
    if (second === null) return first;
    const parts = [first, second];
    let length = first.length + second.length;
    for (let part; (part = this.takeChunk()) !== null;) {
      parts.push(part);
      length += part.length;
    }
    const out = new Uint8Array(length);
    let offset = 0;
    for (const part of parts) {
      out.set(part, offset);
      offset += part.length;
    }
    return out;
  }

  /** Drop everything held. */
  clear(): void {
    this.#queue.clear();
    this.#partial = 0;
    this.#setChunk(EMPTY);
    this.#pending = [];
  }

  // Parse everything held again from the start, after `prefix`: the queue's
  // invariants depend on the delimiter.
  #requeue(prefix: Uint8Array): void {
    const parts = prefix.length === 0 ? [] : [prefix];
    for (let part; (part = this.takeChunk()) !== null;) parts.push(part);
    this.#setChunk(parts.shift() ?? EMPTY);
    this.#pending = parts;
  }

  #setChunk(chunk: Uint8Array): void {
    this.#chunk = chunk;
    this.#chunkBuffer = chunk.buffer;
    this.#chunkOffset = chunk.byteOffset;
    this.#pos = 0;
    if (chunk.length < 16) {
      this.#words = NO_WORDS;
      this.#wordStart = 0;
    } else {
      const start = (4 - (chunk.byteOffset & 3)) & 3;
      this.#words = new Uint32Array(
        chunk.buffer,
        chunk.byteOffset + start,
        (chunk.length - start) >> 2,
      );
      this.#wordStart = start;
    }
  }
}
