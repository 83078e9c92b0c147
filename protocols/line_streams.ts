/**
 * Line framing as Web Streams, for `conn.readable.pipeThrough(...)` users:
 * `LineDecoderStream` (bytes to lines as bytes), `TextLineDecoderStream`
 * (bytes to lines as strings) and `LineEncoderStream` (lines to bytes). They
 * share `LineReceiver`'s parser and limits.
 *
 * ```text
 * bytes in:  "a" "b\r\nc\r" "\nde"   (end)
 * lines out: "ab"   "c"   "de"
 * ```
 *
 * @module
 */

import { decoderPair, type FrameParser } from "./_decoder_pair.ts";
import {
  decodeLine,
  delimiterBytes,
  encodeLine,
  LineParser,
} from "./_line_parser.ts";
import { LineTooLongError } from "./line_too_long_error.ts";

/** Options of the line decoder streams. */
export interface LineDecoderStreamOptions {
  /** The bytes that end a line: a string (as UTF-8) or bytes. Default `"\r\n"`. */
  delimiter?: string | Uint8Array;
  /** The longest line accepted, in bytes, without its delimiter. Default 16384. */
  maxLength?: number;
}

/** Options of `LineEncoderStream`. */
export interface LineEncoderStreamOptions {
  /** The bytes appended to each line: a string (as UTF-8) or bytes. Default `"\r\n"`. */
  delimiter?: string | Uint8Array;
}

const NO_LINES: string[] = [];

function lineParser(options: LineDecoderStreamOptions): LineParser {
  return new LineParser(
    delimiterBytes(options.delimiter ?? "\r\n"),
    options.maxLength ?? 16384,
  );
}

// The parser's next line; undefined when it needs more bytes. A refused line
// is thrown.
function parsedLine(parser: LineParser): Uint8Array | undefined {
  const line = parser.next();
  if (line === null) return undefined;
  if (line instanceof LineTooLongError) {
    parser.clear();
    throw line;
  }
  return line;
}

// At the end of the input, after every complete line was taken: the
// unterminated last line, or null.
function lastLine(parser: LineParser): Uint8Array | null {
  const rest = parser.takeAll();
  if (rest.length > parser.maxLength) {
    throw new LineTooLongError(rest.length, parser.maxLength);
  }
  return rest.length === 0 ? null : rest;
}

// LineDecoderStream's frames: the parser's lines as they come.
class ByteLines implements FrameParser<Uint8Array> {
  #parser: LineParser;
  #last: Uint8Array | null = null;

  constructor(options: LineDecoderStreamOptions) {
    this.#parser = lineParser(options);
  }

  push(chunk: Uint8Array): void {
    this.#parser.feed(chunk);
  }

  next(): Uint8Array | undefined {
    if (this.#last === null) return parsedLine(this.#parser);
    const line = this.#last;
    this.#last = null;
    return line;
  }

  end(): void {
    this.#last = lastLine(this.#parser);
  }
}

// The delimiter as a string when it is all ASCII, else null.
function asciiDelimiter(delimiter: Uint8Array): string | null {
  for (const byte of delimiter) if (byte >= 0x80) return null;
  return String.fromCharCode(...delimiter);
}

// Index of the last occurrence of `delimiter` in `chunk`, or -1.
function lastIndexOf(chunk: Uint8Array, delimiter: Uint8Array): number {
  const d = delimiter.length;
  const last = delimiter[d - 1];
  for (let i = chunk.length - 1; i >= d - 1; i--) {
    if (chunk[i] !== last) continue;
    let k = 1;
    while (k < d && chunk[i - k] === delimiter[d - 1 - k]) k++;
    if (k === d) return i - d + 1;
  }
  return -1;
}

// TextLineDecoderStream's frames. Decoding each line with its own
// TextDecoder call costs more than finding it, so when the delimiter is
// ASCII the complete lines of a chunk are decoded in one call and the text is
// split at the delimiter. That gives each line exactly as decodeLine would:
// a UTF-8 decoder turns an ASCII byte into the same character and nothing
// else into an ASCII character, and starts afresh at every ASCII byte (a
// sequence it cuts short becomes one U+FFFD, as at the end of the input). So
// the delimiter occurs in the text where it occurs in the bytes, and the text
// between two occurrences is the decoding of the bytes between them. The
// parser still takes what needs its state: a line begun in an earlier chunk,
// and the unfinished rest of each chunk.
class TextLines implements FrameParser<string> {
  #parser: LineParser;
  #bytes: Uint8Array;
  #delimiter: string | null;
  // Lines split from a chunk: #lines[#next] to #lines[#count - 1] are still
  // to hand out.
  #lines: string[] = NO_LINES;
  #next = 0;
  #count = 0;
  // Take the rest of the chunk back from the parser after its next line.
  #retry = false;
  #last: string | null = null;

  constructor(options: LineDecoderStreamOptions) {
    this.#parser = lineParser(options);
    this.#bytes = this.#parser.delimiter;
    this.#delimiter = asciiDelimiter(this.#bytes);
  }

  push(chunk: Uint8Array): void {
    if (this.#parser.bufferedLength === 0 && this.#next === this.#count) {
      this.#retry = false;
      this.#split(chunk);
    } else {
      this.#parser.feed(chunk);
      this.#retry = this.#delimiter !== null;
    }
  }

  next(): string | undefined {
    if (this.#next < this.#count) return this.#lines[this.#next++];
    if (this.#count !== 0) {
      this.#lines = NO_LINES;
      this.#next = this.#count = 0;
    }
    if (this.#last !== null) {
      const line = this.#last;
      this.#last = null;
      return line;
    }
    const parser = this.#parser;
    const line = parsedLine(parser);
    if (line === undefined) return undefined;
    if (this.#retry && parser.bufferedLength !== 0) {
      // The line ended in the chunk last pushed: the parser holds nothing
      // else than the rest of it.
      this.#retry = false;
      const rest = parser.takeChunk()!;
      if (parser.bufferedLength === 0) this.#split(rest);
      else parser.unshift(rest);
    }
    return decodeLine(line);
  }

  end(): void {
    const rest = lastLine(this.#parser);
    if (rest !== null) this.#last = decodeLine(rest);
  }

  // Split the complete lines of `chunk`, which starts a line, and feed the
  // rest to the parser; or feed it all to the parser, to be cut and decoded
  // line by line, where the text cannot tell how many bytes a line holds (to
  // check them against maxLength).
  #split(chunk: Uint8Array): void {
    const delimiter = this.#delimiter;
    const at = delimiter === null ? -1 : lastIndexOf(chunk, this.#bytes);
    if (at === -1) {
      this.#parser.feed(chunk);
      return;
    }
    // Not the whole chunk: a character cut short at its end would send the
    // decoder down a path several times slower.
    const end = at + this.#bytes.length;
    const text = decodeLine(chunk.subarray(0, end));
    const lines = text.split(delimiter!);
    const count = lines.length - 1;
    const max = this.#parser.maxLength;
    // A line of n characters holds n bytes when each byte was one character,
    // else n to 3n (a U+FFFD can stand for three).
    const limit = text.length === end ? max : max / 3;
    for (let i = 0; i < count; i++) {
      if (lines[i].length > limit) {
        this.#parser.feed(chunk);
        return;
      }
    }
    this.#lines = lines;
    this.#next = 0;
    this.#count = count;
    // lines[count] is "", or the end of the last occurrence where it overlaps
    // the one before ("-" of "a---" split at "--"): ASCII, a byte a character.
    const rest = end - lines[count].length;
    if (rest < chunk.length) this.#parser.feed(chunk.subarray(rest));
  }
}

/**
 * Splits a byte stream into lines, without their delimiters, as bytes (views
 * of the chunks read where a line lies in one chunk). A line longer than
 * `maxLength` errors the stream with a `LineTooLongError`, as soon as it can
 * no longer end within the limit. At the end of the input an unterminated
 * last line is emitted (as `TextLineStream` of the Deno standard library
 * does), unless it is empty; a trailing partial delimiter is part of it.
 * An error reaches the reader only after every line decoded before it has
 * been read; the writable side errors at once, so a piped source (a
 * connection) stops being read.
 *
 * Like `CompressionStream`, it is a readable/writable pair for `pipeThrough`
 * rather than a `TransformStream` subclass: a `TransformStream` that errors
 * drops what its readable side still holds, which would lose the lines that
 * arrived in the same chunk as a line that is too long.
 *
 * @example Reading the lines of a connection
 * ```ts ignore
 * import { LineDecoderStream } from "@torsion/protocols";
 *
 * const conn = await Deno.connect({ port: 8007 });
 * for await (const line of conn.readable.pipeThrough(new LineDecoderStream())) {
 *   console.log(line.length);
 * }
 * ```
 *
 * @example Splitting bytes
 * ```ts
 * import { LineDecoderStream } from "@torsion/protocols";
 *
 * const bytes = new TextEncoder().encode("one\ntwo\nthree");
 * const lines = await Array.fromAsync(
 *   ReadableStream.from([bytes]).pipeThrough(new LineDecoderStream({ delimiter: "\n" })),
 * );
 * console.log(lines.map((line) => new TextDecoder().decode(line))); // [ "one", "two", "three" ]
 * ```
 */
export class LineDecoderStream
  implements ReadableWritablePair<Uint8Array, Uint8Array> {
  /** The lines decoded, one chunk each, without delimiters. */
  readonly readable: ReadableStream<Uint8Array>;
  /** Where the bytes to split are written. */
  readonly writable: WritableStream<Uint8Array>;

  /**
   * Makes the stream.
   *
   * @param options `delimiter` (default `"\r\n"`), `maxLength` (default 16384).
   * @throws {TypeError} When the delimiter is neither a string nor bytes.
   * @throws {RangeError} When the delimiter is empty or `maxLength` is not a
   * non-negative integer.
   */
  constructor(options: LineDecoderStreamOptions = {}) {
    ({ readable: this.readable, writable: this.writable } = decoderPair(
      new ByteLines(options),
    ));
  }
}

/**
 * Splits a byte stream into lines decoded as UTF-8 (invalid bytes become
 * U+FFFD; each line is decoded on its own). Otherwise as
 * `LineDecoderStream`: the same limits, errors and last line.
 *
 * @example Reading the lines of a connection as text
 * ```ts ignore
 * import { TextLineDecoderStream } from "@torsion/protocols";
 *
 * const conn = await Deno.connect({ port: 8007 });
 * for await (const line of conn.readable.pipeThrough(new TextLineDecoderStream())) {
 *   console.log(line);
 * }
 * ```
 *
 * @example Splitting bytes into strings
 * ```ts
 * import { TextLineDecoderStream } from "@torsion/protocols";
 *
 * const bytes = new TextEncoder().encode("héllo\r\nworld\r\n");
 * const lines = await Array.fromAsync(
 *   ReadableStream.from([bytes]).pipeThrough(new TextLineDecoderStream()),
 * );
 * console.log(lines); // [ "héllo", "world" ]
 * ```
 */
export class TextLineDecoderStream
  implements ReadableWritablePair<string, Uint8Array> {
  /** The lines decoded, one string each, without delimiters. */
  readonly readable: ReadableStream<string>;
  /** Where the bytes to split are written. */
  readonly writable: WritableStream<Uint8Array>;

  /**
   * Makes the stream.
   *
   * @param options `delimiter` (default `"\r\n"`), `maxLength` (default 16384).
   * @throws {TypeError} When the delimiter is neither a string nor bytes.
   * @throws {RangeError} When the delimiter is empty or `maxLength` is not a
   * non-negative integer.
   */
  constructor(options: LineDecoderStreamOptions = {}) {
    ({ readable: this.readable, writable: this.writable } = decoderPair(
      new TextLines(options),
    ));
  }
}

/**
 * Turns lines (strings, sent as UTF-8, or bytes) into bytes, each line
 * followed by the delimiter, one chunk per line. Lines are not checked for
 * length or for delimiters inside them.
 *
 * @example Writing lines to a connection
 * ```ts ignore
 * import { LineEncoderStream } from "@torsion/protocols";
 *
 * const conn = await Deno.connect({ port: 8007 });
 * await ReadableStream.from(["HELLO", "QUIT"])
 *   .pipeThrough(new LineEncoderStream())
 *   .pipeTo(conn.writable);
 * ```
 *
 * @example Encoding lines
 * ```ts
 * import { LineEncoderStream } from "@torsion/protocols";
 *
 * const chunks = await Array.fromAsync(
 *   ReadableStream.from(["a", "bc"]).pipeThrough(new LineEncoderStream({ delimiter: "\n" })),
 * );
 * console.log(chunks); // [ Uint8Array(2) [ 97, 10 ], Uint8Array(3) [ 98, 99, 10 ] ]
 * ```
 */
export class LineEncoderStream
  extends TransformStream<string | Uint8Array, Uint8Array> {
  /**
   * Makes the stream.
   *
   * @param options `delimiter` (default `"\r\n"`).
   * @throws {TypeError} When the delimiter is neither a string nor bytes.
   * @throws {RangeError} When the delimiter is empty.
   */
  constructor(options: LineEncoderStreamOptions = {}) {
    const delimiter = delimiterBytes(options.delimiter ?? "\r\n");
    super({
      transform(line, controller): void {
        controller.enqueue(encodeLine(line, delimiter));
      },
    });
  }
}
