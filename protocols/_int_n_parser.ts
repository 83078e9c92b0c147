// The sans-IO length-prefix decoder behind IntNStringReceiver and
// IntNDecoderStream, and the encoder behind their senders.
//
//   Int16 framing of "hello":
//   +----------+----------------------+
//   | 00 05    | 68 65 6c 6c 6f       |
//   +----------+----------------------+
//   prefix: payload length, unsigned big-endian, 1, 2 or 4 bytes

import { ByteQueue } from "./_byte_queue.ts";
import { checkedBytes } from "./_encode.ts";
import { allocBytes } from "./_slab.ts";
import { checkMaxLength, DEFAULT_MAX_LENGTH } from "./_framing.ts";
import { LengthLimitExceededError } from "./length_limit_exceeded_error.ts";
import { StringTooLongError } from "./string_too_long_error.ts";
import type { Transport } from "./transport.ts";
import { TruncatedFrameError } from "./truncated_frame_error.ts";
import { sendParts } from "./_write_parts.ts";

/** The prefix sizes supported, in bytes. */
export type PrefixLength = 1 | 2 | 4;

/** Throws a RangeError unless `prefixLength` is 1, 2 or 4. */
export function checkPrefixLength(prefixLength: number): PrefixLength {
  if (prefixLength !== 1 && prefixLength !== 2 && prefixLength !== 4) {
    throw new RangeError(`Prefix length must be 1, 2 or 4: ${prefixLength}`);
  }
  return prefixLength;
}

/**
 * Pull-based length-prefix decoder: `push` bytes, then call `next` until it
 * returns `undefined` (more bytes needed). The announced length is checked as
 * soon as the prefix is complete, so a frame over the limit is refused
 * before its payload is awaited. After an error every `next` throws that same
 * error and pushed bytes are dropped.
 */
export class IntNParser {
  /** The size of the length prefix, in bytes. */
  readonly prefixLength: PrefixLength;
  #maxLength: number;
  #queue = new ByteQueue();
  // Length of the payload being awaited once its prefix is consumed, else -1.
  #length = -1;
  #error: LengthLimitExceededError | null = null;

  constructor(
    prefixLength: PrefixLength,
    maxLength: number = DEFAULT_MAX_LENGTH,
  ) {
    this.prefixLength = checkPrefixLength(prefixLength);
    this.#maxLength = checkMaxLength(maxLength);
  }

  /** The longest payload accepted; applies to prefixes parsed from now on. */
  get maxLength(): number {
    return this.#maxLength;
  }

  set maxLength(value: number) {
    if (value !== this.#maxLength) this.#maxLength = checkMaxLength(value);
  }

  /** Bytes held (pushed, not yet returned or consumed as a prefix). */
  get bufferedLength(): number {
    return this.#queue.length;
  }

  /** The error that stopped this parser, if one did. */
  get error(): LengthLimitExceededError | null {
    return this.#error;
  }

  /** Bytes of an unfinished frame received so far; 0 between frames. */
  get pendingLength(): number {
    if (this.#error) return 0;
    return (this.#length >= 0 ? this.prefixLength : 0) + this.#queue.length;
  }

  /** The payload's bounds found by the last successful `cut`. */
  cutStart = 0;
  /** See `cutStart`. */
  cutEnd = 0;

  /**
   * If a whole frame within the limit starts at `chunk[at]`: sets `cutStart`
   * and `cutEnd` to its payload's bounds in `chunk` and returns where the
   * frame ends; else -1. Consumes nothing: for a caller cutting frames
   * straight out of a chunk while the parser holds nothing.
   */
  cut(chunk: Uint8Array, at: number): number {
    const start = at + this.prefixLength;
    if (start > chunk.length) return -1;
    const end = start + readPrefix(chunk, at, this.prefixLength);
    if (end - start > this.#maxLength || end > chunk.length) return -1;
    this.cutStart = start;
    this.cutEnd = end;
    return end;
  }

  /** Append received bytes (kept by reference until returned). */
  push(chunk: Uint8Array): void {
    if (!this.#error) this.#queue.push(chunk);
  }

  /**
   * The next complete payload, or `undefined` when more bytes are needed.
   * The payload is a view of a pushed chunk when it lies in one, else a copy.
   *
   * @throws {LengthLimitExceededError} A prefix announced a frame over the limit.
   */
  next(): Uint8Array | undefined {
    if (this.#error) throw this.#error;
    const queue = this.#queue;
    let length = this.#length;
    if (length < 0) {
      const prefixLength = this.prefixLength;
      if (queue.length < prefixLength) return undefined;
      length = queue.peekUint(prefixLength);
      if (length > this.#maxLength) {
        this.#queue.clear();
        this.#error = new LengthLimitExceededError(length, this.#maxLength);
        throw this.#error;
      }
      queue.skip(prefixLength);
      this.#length = length;
    }
    if (queue.length < length) return undefined;
    this.#length = -1;
    return queue.take(length);
  }

  /**
   * Declare the input finished.
   *
   * @throws {TruncatedFrameError} The input ended inside a frame.
   * @throws {LengthLimitExceededError} The parser had already failed.
   */
  end(): void {
    if (this.#error) throw this.#error;
    const pending = this.pendingLength;
    if (pending > 0) throw new TruncatedFrameError(pending);
  }
}

// The `prefixLength`-byte big-endian length at `bytes[at]` (all there).
function readPrefix(
  bytes: Uint8Array,
  at: number,
  prefixLength: PrefixLength,
): number {
  if (prefixLength === 4) {
    return bytes[at] * 0x1000000 +
      ((bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]);
  }
  if (prefixLength === 2) return (bytes[at] << 8) | bytes[at + 1];
  return bytes[at];
}

// The largest length each prefix can hold.
const MAX_PREFIXED = { 1: 0xff, 2: 0xffff, 4: 0xffffffff } as const;

// The payload as bytes, checked to fit a `prefixLength`-byte prefix.
function prefixedPayload(
  data: Uint8Array | string,
  prefixLength: PrefixLength,
): Uint8Array {
  checkPrefixLength(prefixLength);
  const payload = checkedBytes(data, "Payload");
  if (payload.length > MAX_PREFIXED[prefixLength]) {
    throw new StringTooLongError(payload.length, prefixLength);
  }
  return payload;
}

// Write `length` big-endian into out[0..prefixLength).
function writePrefix(
  out: Uint8Array,
  length: number,
  prefixLength: PrefixLength,
): void {
  for (let i = prefixLength - 1, n = length; i >= 0; i--, n = n >>> 8) {
    out[i] = n & 0xff;
  }
}

// The prefixes of lengths below CACHED_LENGTHS are made once, as views of
// one buffer: a small frame would otherwise spend more on allocating its
// prefix (~40 ns for any typed array) than on everything else. The pieces
// given to a transport are never written again, so sharing them is safe.
// Slot prefixLength * CACHED_LENGTHS + length; slots of invalid prefix
// lengths stay empty.
const CACHED_LENGTHS = 256;
const shortPrefixes: (Uint8Array | undefined)[] = new Array(5 * CACHED_LENGTHS);
const shortPrefixStore = new ArrayBuffer(5 * CACHED_LENGTHS * 4);

function shortPrefix(length: number, prefixLength: number): Uint8Array {
  const slot = prefixLength * CACHED_LENGTHS + length;
  const prefix = shortPrefixes[slot];
  // A prefix length of 2.5 or "2" can land on another's slot: the entry
  // counts only when it is as long as asked.
  if (prefix !== undefined && prefix.length === prefixLength) return prefix;
  const valid = checkPrefixLength(prefixLength);
  const made = new Uint8Array(shortPrefixStore, slot * 4, valid);
  writePrefix(made, length, valid);
  shortPrefixes[slot] = made;
  return made;
}

/**
 * Send `data` to `transport` with its length prefix, the payload uncopied.
 *
 * @throws {StringTooLongError} The prefix cannot hold the length; nothing
 * is written.
 */
export function sendIntN(
  transport: Transport,
  data: Uint8Array | string,
  prefixLength: PrefixLength,
): void {
  // The usual case first, with the fewest checks: short bytes, which any
  // prefix holds.
  if (data instanceof Uint8Array && data.length < CACHED_LENGTHS) {
    return sendParts(
      transport,
      shortPrefix(data.length, prefixLength),
      data,
      null,
    );
  }
  const payload = prefixedPayload(data, prefixLength);
  let prefix: Uint8Array;
  if (payload.length < CACHED_LENGTHS) {
    prefix = shortPrefix(payload.length, prefixLength);
  } else {
    prefix = allocBytes(prefixLength);
    writePrefix(prefix, payload.length, prefixLength);
  }
  sendParts(transport, prefix, payload, null);
}

/**
 * Frame `data` with a `prefixLength`-byte length prefix, in one new array.
 *
 * @throws {StringTooLongError} The prefix cannot hold the length.
 */
export function encodeIntN(
  data: Uint8Array | string,
  prefixLength: PrefixLength,
): Uint8Array {
  const payload = prefixedPayload(data, prefixLength);
  const out = new Uint8Array(prefixLength + payload.length);
  writePrefix(out, payload.length, prefixLength);
  out.set(payload, prefixLength);
  return out;
}
