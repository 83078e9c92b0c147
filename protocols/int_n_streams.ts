/**
 * `IntNDecoderStream` and `IntNEncoderStream`: length-prefix framing (as
 * `Int8StringReceiver`, `Int16StringReceiver` and `Int32StringReceiver`
 * speak it) as a decoder and an encoder stream, for code that reads and
 * writes Web streams (`conn.readable.pipeThrough(new IntNDecoderStream())`)
 * rather than subclassing a receiver. Both forms share one parser, so they
 * accept and refuse exactly the same bytes.
 *
 * ```text
 * Int16 framing of "hello" ({ prefixLength: 2 }):
 * +-------+----------------+
 * | 00 05 | 68 65 6c 6c 6f |
 * +-------+----------------+
 *  prefix: the payload's length, unsigned big-endian, 1, 2 or 4 bytes
 * ```
 *
 * @module
 */

import { decoderPair } from "./_decoder_pair.ts";
import { DEFAULT_MAX_LENGTH } from "./_framing.ts";
import { checkPrefixLength, encodeIntN, IntNParser } from "./_int_n_parser.ts";

/** Options of `IntNDecoderStream`. */
export interface IntNDecoderStreamOptions {
  /** The size of the length prefix in bytes: 1, 2 or 4. Default: 4 (Int32). */
  prefixLength?: 1 | 2 | 4;
  /**
   * The longest payload accepted, in bytes (as
   * `IntNStringReceiver.MAX_LENGTH`). Default: 99999.
   */
  maxLength?: number;
}

/** Options of `IntNEncoderStream`. */
export interface IntNEncoderStreamOptions {
  /** The size of the length prefix in bytes: 1, 2 or 4. Default: 4 (Int32). */
  prefixLength?: 1 | 2 | 4;
}

/**
 * Splits a byte stream into length-prefixed payloads: each chunk read is
 * one payload, without its prefix (a view of the input chunk when it lies in
 * one). A prefix announcing more than `maxLength` bytes errors the stream
 * with a `LengthLimitExceededError` as soon as the prefix is complete;
 * input that ends in the middle of a frame errors it with a
 * `TruncatedFrameError`. Input that ends between frames closes it. Either
 * error reaches the reader only after every frame decoded before it has been
 * read; the writable side errors at once, so a piped source (a connection)
 * stops being read.
 *
 * Like `CompressionStream`, it is a readable/writable pair for
 * `pipeThrough` rather than a `TransformStream` subclass: a `TransformStream`
 * that errors drops what its readable side still holds, which would lose the
 * frames that arrived in the same chunk as the error. Input chunks must be
 * `Uint8Array`s (anything else is a `TypeError`).
 *
 * @example Reading Int32-prefixed frames from a connection
 * ```ts
 * import assert from "node:assert/strict";
 * import { IntNDecoderStream } from "@torsion/protocols";
 *
 * // A server that sends two frames ("hi" and 3 zero bytes) and closes.
 * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const served = listener.accept().then(async (conn) => {
 *   await conn.write(new Uint8Array([0, 0, 0, 2, 0x68, 0x69, 0, 0, 0, 3, 0, 0, 0]));
 *   conn.close();
 * });
 *
 * const conn = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
 * const lengths: number[] = [];
 * for await (const frame of conn.readable.pipeThrough(new IntNDecoderStream())) {
 *   lengths.push(frame.length);
 * }
 * await served;
 * assert.deepEqual(lengths, [2, 3]);
 * ```
 *
 * @example Decoding Int8 frames, and a frame over the limit
 * ```ts
 * import assert from "node:assert/strict";
 * import { IntNDecoderStream, LengthLimitExceededError } from "@torsion/protocols";
 *
 * const frames = await Array.fromAsync(
 *   ReadableStream.from([new Uint8Array([2, 0x68, 0x69, 0])])
 *     .pipeThrough(new IntNDecoderStream({ prefixLength: 1 })),
 * );
 * assert.deepEqual(frames, [new Uint8Array([0x68, 0x69]), new Uint8Array(0)]);
 *
 * const big = ReadableStream.from([new Uint8Array([0, 0, 0x10, 0])]) // 4096 bytes announced
 *   .pipeThrough(new IntNDecoderStream({ maxLength: 1024 }));
 * await assert.rejects(Array.fromAsync(big), LengthLimitExceededError);
 * ```
 */
export class IntNDecoderStream
  implements ReadableWritablePair<Uint8Array, Uint8Array> {
  /** The frames decoded, one chunk each. */
  readonly readable: ReadableStream<Uint8Array>;
  /** Where the bytes to decode are written. */
  readonly writable: WritableStream<Uint8Array>;

  /**
   * Makes a decoder.
   *
   * @param options `prefixLength` (default 4) and `maxLength` (default 99999).
   * @throws {RangeError} When `prefixLength` is not 1, 2 or 4, or `maxLength`
   * is not a non-negative integer.
   */
  constructor(options: IntNDecoderStreamOptions = {}) {
    const { readable, writable } = decoderPair(
      new IntNParser(
        options.prefixLength ?? 4,
        options.maxLength ?? DEFAULT_MAX_LENGTH,
      ),
    );
    this.readable = readable;
    this.writable = writable;
  }
}

/**
 * Frames each chunk written with its length prefix (strings as UTF-8). Each
 * output chunk is a new array holding one whole frame. A chunk too long for
 * the prefix errors the stream with a `StringTooLongError`.
 *
 * @example Writing Int32-prefixed frames to a connection
 * ```ts
 * import assert from "node:assert/strict";
 * import { IntNEncoderStream } from "@torsion/protocols";
 *
 * // A server that reads everything the client sends.
 * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const received = listener.accept().then((conn) => new Response(conn.readable).bytes());
 *
 * const conn = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
 * await ReadableStream.from(["hi"])
 *   .pipeThrough(new IntNEncoderStream())
 *   .pipeTo(conn.writable); // closes the connection at the end
 * assert.deepEqual(await received, new Uint8Array([0, 0, 0, 2, 0x68, 0x69]));
 * ```
 *
 * @example Encoding with a 2-byte prefix
 * ```ts
 * import assert from "node:assert/strict";
 * import { IntNEncoderStream } from "@torsion/protocols";
 *
 * const chunks = await Array.fromAsync(
 *   ReadableStream.from(["hi"]).pipeThrough(new IntNEncoderStream({ prefixLength: 2 })),
 * );
 * assert.deepEqual(chunks, [new Uint8Array([0, 2, 0x68, 0x69])]);
 * ```
 */
export class IntNEncoderStream
  extends TransformStream<Uint8Array | string, Uint8Array> {
  /**
   * Makes an encoder.
   *
   * @param options `prefixLength` (default 4).
   * @throws {RangeError} When `prefixLength` is not 1, 2 or 4.
   */
  constructor(options: IntNEncoderStreamOptions = {}) {
    const prefixLength = checkPrefixLength(options.prefixLength ?? 4);
    super({
      transform(chunk, controller): void {
        controller.enqueue(encodeIntN(chunk, prefixLength));
      },
    });
  }
}
