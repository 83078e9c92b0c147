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

// The line parser in the shape the decoder pair wants: a refused line is
// thrown, and the end of input yields the unterminated last line.
function lineFrames<T>(
  options: LineDecoderStreamOptions,
  convert: (line: Uint8Array) => T,
): FrameParser<T> {
  const parser = new LineParser(
    delimiterBytes(options.delimiter ?? "\r\n"),
    options.maxLength ?? 16384,
  );
  let last: Uint8Array | null = null;
  return {
    push(chunk: Uint8Array): void {
      parser.feed(chunk);
    },
    next(): T | undefined {
      if (last !== null) {
        const line = last;
        last = null;
        return convert(line);
      }
      const line = parser.next();
      if (line === null) return undefined;
      if (line instanceof LineTooLongError) {
        parser.clear();
        throw line;
      }
      return convert(line);
    },
    end(): void {
      // Lines still complete in the buffer come first, then the rest.
      const rest = parser.takeAll();
      if (rest.length > parser.maxLength) {
        throw new LineTooLongError(rest.length, parser.maxLength);
      }
      if (rest.length !== 0) last = rest;
    },
  };
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
      lineFrames(options, (line) => line),
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
      lineFrames(options, decodeLine),
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
        controller.enqueue(encodeLine(line, delimiter) as Uint8Array);
      },
    });
  }
}
