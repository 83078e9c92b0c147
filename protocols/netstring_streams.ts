/**
 * `NetstringDecoderStream` and `NetstringEncoderStream`: netstring framing as
 * a decoder and an encoder stream, for code that reads and writes Web streams
 * (`conn.readable.pipeThrough(new NetstringDecoderStream())`) rather than
 * subclassing `NetstringReceiver`. Both forms share one parser, so they
 * accept and refuse exactly the same bytes.
 *
 * ```text
 * "12:hello world!,"
 * +--------+---+---------------------+---+
 * | "12"   | : | 12 bytes of payload | , |
 * +--------+---+---------------------+---+
 * ```
 *
 * @module
 */

import { decoderPair } from "./_decoder_pair.ts";
import { DEFAULT_MAX_LENGTH } from "./_framing.ts";
import { encodeNetstring, NetstringParser } from "./_netstring_parser.ts";

/** Options of `NetstringDecoderStream`. */
export interface NetstringDecoderStreamOptions {
  /**
   * The longest payload accepted, in bytes (as `NetstringReceiver.MAX_LENGTH`).
   * Default: 99999.
   */
  maxLength?: number;
}

/**
 * Splits a byte stream into netstring payloads: each chunk read is one
 * payload, without its framing (a view of the input chunk when it lies in
 * one). Bytes that are not a netstring (a bad length, a length over
 * `maxLength`, checked while its digits arrive, a missing comma) error the
 * stream with a `NetstringParseError`; input that ends in the middle of a
 * netstring errors it with a `TruncatedFrameError`. Input that ends between
 * netstrings closes it. Either error reaches the reader only after every
 * payload decoded before it has been read; the writable side errors at once,
 * so a piped source (a connection) stops being read.
 *
 * Like `CompressionStream`, it is a readable/writable pair for
 * `pipeThrough` rather than a `TransformStream` subclass: a `TransformStream`
 * that errors drops what its readable side still holds, which would lose the
 * payloads that arrived in the same chunk as the error. Input chunks must be
 * `Uint8Array`s (anything else is a `TypeError`).
 *
 * @example Reading netstrings from a connection
 * ```ts
 * import assert from "node:assert/strict";
 * import { NetstringDecoderStream } from "@torsion/protocols";
 *
 * // A server that sends two netstrings and closes.
 * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const served = listener.accept().then(async (conn) => {
 *   await conn.write(new TextEncoder().encode("5:hello,5:world,"));
 *   conn.close();
 * });
 *
 * const conn = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
 * const payloads: string[] = [];
 * for await (const payload of conn.readable.pipeThrough(new NetstringDecoderStream())) {
 *   payloads.push(new TextDecoder().decode(payload));
 * }
 * await served;
 * assert.deepEqual(payloads, ["hello", "world"]);
 * ```
 *
 * @example Decoding bytes, and a bad netstring
 * ```ts
 * import assert from "node:assert/strict";
 * import { NetstringDecoderStream, NetstringParseError } from "@torsion/protocols";
 *
 * const frames = await Array.fromAsync(
 *   ReadableStream.from([new TextEncoder().encode("5:hello,0:,")])
 *     .pipeThrough(new NetstringDecoderStream()),
 * );
 * assert.deepEqual(frames.map((f) => new TextDecoder().decode(f)), ["hello", ""]);
 *
 * const bad = ReadableStream.from([new TextEncoder().encode("05:hello,")])
 *   .pipeThrough(new NetstringDecoderStream());
 * await assert.rejects(Array.fromAsync(bad), NetstringParseError);
 * ```
 */
export class NetstringDecoderStream
  implements ReadableWritablePair<Uint8Array, Uint8Array> {
  /** The frames decoded, one chunk each. */
  readonly readable: ReadableStream<Uint8Array>;
  /** Where the bytes to decode are written. */
  readonly writable: WritableStream<Uint8Array>;

  /**
   * Makes a decoder.
   *
   * @param options `maxLength`: the longest payload accepted (default 99999).
   * @throws {RangeError} When `maxLength` is not a non-negative integer.
   */
  constructor(options: NetstringDecoderStreamOptions = {}) {
    const { readable, writable } = decoderPair(
      new NetstringParser(options.maxLength ?? DEFAULT_MAX_LENGTH),
    );
    this.readable = readable;
    this.writable = writable;
  }
}

/**
 * Frames each chunk written as one netstring (strings as UTF-8). Each output
 * chunk is a new array holding one whole netstring.
 *
 * @example Writing netstrings to a connection
 * ```ts
 * import assert from "node:assert/strict";
 * import { NetstringEncoderStream } from "@torsion/protocols";
 *
 * // A server that reads everything the client sends.
 * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const received = listener.accept().then((conn) => new Response(conn.readable).text());
 *
 * const conn = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
 * await ReadableStream.from(["hello", "world"])
 *   .pipeThrough(new NetstringEncoderStream())
 *   .pipeTo(conn.writable); // closes the connection at the end
 * assert.equal(await received, "5:hello,5:world,");
 * ```
 *
 * @example Encoding
 * ```ts
 * import assert from "node:assert/strict";
 * import { NetstringEncoderStream } from "@torsion/protocols";
 *
 * const chunks = await Array.fromAsync(
 *   ReadableStream.from(["hello", new Uint8Array(0)])
 *     .pipeThrough(new NetstringEncoderStream()),
 * );
 * assert.deepEqual(chunks.map((c) => new TextDecoder().decode(c)), ["5:hello,", "0:,"]);
 * ```
 */
export class NetstringEncoderStream
  extends TransformStream<Uint8Array | string, Uint8Array> {
  /** Makes an encoder. */
  constructor() {
    super({
      transform(chunk, controller): void {
        controller.enqueue(encodeNetstring(chunk));
      },
    });
  }
}
