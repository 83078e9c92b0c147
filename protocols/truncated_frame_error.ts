/**
 * `TruncatedFrameError`: a byte stream ended in the middle of a frame.
 *
 * @module
 */

/**
 * The stream ended in the middle of a frame: some of its bytes arrived, the
 * rest never will. The decoder streams (`NetstringDecoderStream`,
 * `IntNDecoderStream`) error with it when their input closes mid-frame; a
 * stream that ends between frames closes cleanly.
 *
 * @example A stream that ends mid-frame
 * ```ts
 * import assert from "node:assert/strict";
 * import { NetstringDecoderStream, TruncatedFrameError } from "@torsion/protocols";
 *
 * const cut = ReadableStream.from([new TextEncoder().encode("5:hel")])
 *   .pipeThrough(new NetstringDecoderStream());
 * await assert.rejects(Array.fromAsync(cut), TruncatedFrameError);
 * assert.equal(
 *   new TruncatedFrameError(5).message,
 *   "Stream ended in the middle of a frame: 5 bytes received",
 * );
 * ```
 */
export class TruncatedFrameError extends Error {
  /** How many bytes of the unfinished frame had arrived. */
  readonly received: number;

  /**
   * Makes an error.
   *
   * @param received How many bytes of the unfinished frame had arrived.
   * @param options `cause`, if any.
   */
  constructor(received: number, options?: ErrorOptions) {
    super(
      `Stream ended in the middle of a frame: ${received} bytes received`,
      options,
    );
    this.name = "TruncatedFrameError";
    this.received = received;
  }
}
