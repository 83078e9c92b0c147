// The sans-IO netstring decoder behind NetstringReceiver and
// NetstringDecoderStream, and the encoder behind their senders.
//
//   "12:hello world!,"
//   +----------+---+--------------------+---+
//   | length   | : | payload            | , |
//   | "12"     |   | 12 bytes           |   |
//   +----------+---+--------------------+---+
//   ASCII decimal, no sign, no leading zero ("0" alone is the empty string)

import { ByteQueue } from "./_byte_queue.ts";
import { checkedBytes } from "./_encode.ts";
import { allocBytes } from "./_slab.ts";
import { checkMaxLength, DEFAULT_MAX_LENGTH } from "./_framing.ts";
import { NetstringParseError } from "./netstring_parse_error.ts";
import { TruncatedFrameError } from "./truncated_frame_error.ts";
import type { Transport } from "./transport.ts";
import { sendParts } from "./_write_parts.ts";

const COLON = 0x3a;
const COMMA = 0x2c;
const ZERO = 0x30;
const NINE = 0x39;

// Parser states.
const LENGTH = 0;
const PAYLOAD = 1;
const FAILED = 2;

function hex(byte: number): string {
  return "0x" + byte.toString(16).padStart(2, "0");
}

/**
 * Pull-based netstring decoder: `push` bytes, then call `next` until it
 * returns `undefined` (more bytes needed). The length is checked digit by
 * digit as it arrives, so an oversized length is refused before its payload
 * is awaited or any memory is set aside for it. After an error every `next`
 * throws that same error and pushed bytes are dropped.
 */
export class NetstringParser {
  #maxLength: number;
  #queue = new ByteQueue();
  #state: number = LENGTH;
  // Length digits consumed so far and their value; in Payload state the
  // length of the payload being awaited.
  #digits = 0;
  #length = 0;
  #error: NetstringParseError | null = null;

  constructor(maxLength: number = DEFAULT_MAX_LENGTH) {
    this.#maxLength = checkMaxLength(maxLength);
  }

  /** The longest payload accepted; applies to lengths parsed from now on. */
  get maxLength(): number {
    return this.#maxLength;
  }

  set maxLength(value: number) {
    if (value !== this.#maxLength) this.#maxLength = checkMaxLength(value);
  }

  /** Bytes held (pushed, not yet returned or consumed as a length). */
  get bufferedLength(): number {
    return this.#queue.length;
  }

  /** The error that stopped this parser, if one did. */
  get error(): NetstringParseError | null {
    return this.#error;
  }

  /** Bytes of an unfinished frame received so far; 0 between frames. */
  get pendingLength(): number {
    if (this.#state === FAILED) return 0;
    const header = this.#state === PAYLOAD ? this.#digits + 1 : this.#digits;
    return header + this.#queue.length;
  }

  /** The payload's bounds found by the last successful `cut`. */
  cutStart = 0;
  /** See `cutStart`. */
  cutEnd = 0;

  /**
   * If a whole well-formed netstring within the limit starts at
   * `chunk[at]`: sets `cutStart` and `cutEnd` to its payload's bounds in
   * `chunk` and returns where it ends (after its comma); else -1, whether
   * it is cut short or malformed (`next` then says what is wrong). Consumes
   * nothing: for a caller cutting frames straight out of a chunk while the
   * parser holds nothing.
   */
  cut(chunk: Uint8Array, at: number): number {
    const max = this.#maxLength;
    let i = at;
    let length = 0;
    if (chunk[i] === ZERO) i++; // "0:": a zero length has no other digit
    else {
      for (; i < chunk.length; i++) {
        const byte = chunk[i];
        if (byte < ZERO || byte > NINE) break;
        length = length * 10 + (byte - ZERO);
        if (length > max) return -1;
      }
      if (i === at) return -1;
    }
    if (chunk[i] !== COLON) return -1;
    const end = i + 1 + length;
    if (end >= chunk.length || chunk[end] !== COMMA) return -1;
    this.cutStart = i + 1;
    this.cutEnd = end;
    return end + 1;
  }

  /** Append received bytes (kept by reference until returned). */
  push(chunk: Uint8Array): void {
    if (this.#state !== FAILED) this.#queue.push(chunk);
  }

  /**
   * The next complete payload, or `undefined` when more bytes are needed.
   * The payload is a view of a pushed chunk when it lies in one, else a copy.
   *
   * @throws {NetstringParseError} The bytes are not a netstring.
   */
  next(): Uint8Array | undefined {
    const queue = this.#queue;
    if (this.#state === LENGTH) {
      const available = queue.length;
      let digits = this.#digits;
      let length = this.#length;
      let i = 0;
      for (; i < available; i++) {
        const byte = queue.byteAt(i);
        if (byte >= ZERO && byte <= NINE) {
          if (digits === 1 && length === 0) {
            throw this.#fail("Netstring length has a leading zero");
          }
          length = length * 10 + (byte - ZERO);
          digits++;
          if (length > this.#maxLength) {
            throw this.#fail(
              `Netstring length exceeds MAX_LENGTH: ${length} > ${this.#maxLength}`,
            );
          }
        } else if (byte === COLON && digits > 0) {
          break;
        } else if (digits === 0) {
          throw this.#fail(
            byte === COLON
              ? "Netstring is missing its length"
              : `Netstring does not start with a length: got ${hex(byte)}`,
          );
        } else {
          throw this.#fail(
            `Netstring length is not followed by a colon: got ${hex(byte)}`,
          );
        }
      }
      this.#digits = digits;
      this.#length = length;
      if (i === available) {
        queue.skip(i);
        return undefined;
      }
      queue.skip(i + 1);
      this.#state = PAYLOAD;
    }
    if (this.#state === PAYLOAD) {
      const length = this.#length;
      if (queue.length <= length) return undefined;
      const comma = queue.byteAt(length);
      if (comma !== COMMA) {
        throw this.#fail(`Netstring is missing its comma: got ${hex(comma)}`);
      }
      const payload = queue.take(length);
      queue.skip(1);
      this.#state = LENGTH;
      this.#digits = 0;
      this.#length = 0;
      return payload;
    }
    throw this.#error;
  }

  /**
   * Declare the input finished.
   *
   * @throws {TruncatedFrameError} The input ended inside a frame.
   * @throws {NetstringParseError} The parser had already failed.
   */
  end(): void {
    if (this.#error) throw this.#error;
    const pending = this.pendingLength;
    if (pending > 0) throw new TruncatedFrameError(pending);
  }

  #fail(message: string): NetstringParseError {
    this.#state = FAILED;
    this.#queue.clear();
    this.#error = new NetstringParseError(message);
    return this.#error;
  }
}

const COMMA_BYTES = new Uint8Array([COMMA]);

// Write the `length:` head into `out` from index 0; returns its size.
function writeHead(out: Uint8Array, digits: string): number {
  for (let i = 0; i < digits.length; i++) out[i] = digits.charCodeAt(i);
  out[digits.length] = COLON;
  return digits.length + 1;
}

// The heads of lengths below CACHED_LENGTHS ("0:" to "255:") are made once,
// as views of one buffer: a small netstring would otherwise spend more on
// allocating its head (~40 ns for any typed array) than on everything else.
// The pieces given to a transport are never written again, so sharing them
// is safe.
const CACHED_LENGTHS = 256;
const headCache = new Array<Uint8Array | null>(CACHED_LENGTHS).fill(null);
const headStore = new ArrayBuffer(CACHED_LENGTHS * 4);

function headBytes(length: number): Uint8Array {
  let head = length < CACHED_LENGTHS ? headCache[length] : null;
  if (head !== null) return head;
  const digits = String(length);
  if (length < CACHED_LENGTHS) {
    head = new Uint8Array(headStore, length * 4, digits.length + 1);
    headCache[length] = head;
  } else head = allocBytes(digits.length + 1);
  writeHead(head, digits);
  return head;
}

/** Send `data` to `transport` as a netstring, the payload uncopied. */
export function sendNetstring(
  transport: Transport,
  data: Uint8Array | string,
): void {
  const payload = checkedBytes(data, "Netstring payload");
  sendParts(transport, headBytes(payload.length), payload, COMMA_BYTES);
}

/** Frame `data` as a netstring, in one new array. */
export function encodeNetstring(data: Uint8Array | string): Uint8Array {
  const payload = checkedBytes(data, "Netstring payload");
  const digits = String(payload.length);
  const out = new Uint8Array(digits.length + payload.length + 2);
  out.set(payload, writeHead(out, digits));
  out[out.length - 1] = COMMA;
  return out;
}
