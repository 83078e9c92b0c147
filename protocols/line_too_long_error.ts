/**
 * `LineTooLongError`: a line longer than the receiver's limit.
 *
 * @module
 */

/**
 * A line is longer than `MAX_LENGTH` (or the `maxLength` option of the line
 * streams), or an unfinished line can no longer end as a line that short.
 * `LineReceiver` and `LineOnlyReceiver` report this through
 * `lineLengthExceeded`; `LineDecoderStream` and `TextLineDecoderStream`
 * error with it.
 *
 * @example Catching it from a line stream
 * ```ts
 * import assert from "node:assert/strict";
 * import { LineDecoderStream, LineTooLongError } from "@torsion/protocols";
 *
 * const input = ReadableStream.from([new TextEncoder().encode("abcdef\r\n")]);
 * const lines = input.pipeThrough(new LineDecoderStream({ maxLength: 4 }));
 * await assert.rejects(Array.fromAsync(lines), (error) => {
 *   assert.ok(error instanceof LineTooLongError);
 *   assert.equal(error.message, "Line exceeds MAX_LENGTH: 6 > 4");
 *   assert.equal(error.length, 6);
 *   return true;
 * });
 * ```
 */
export class LineTooLongError extends Error {
  /**
   * The length of the refused line, in bytes; for an unfinished line, the
   * least it can still end up as (the bytes received so far, minus a trailing
   * partial delimiter).
   */
  readonly length: number;
  /** The limit that was exceeded. */
  readonly maxLength: number;

  /**
   * Makes the error.
   *
   * @param length The length of the line, in bytes.
   * @param maxLength The limit it exceeds.
   * @param options `cause`, as for any `Error`.
   */
  constructor(length: number, maxLength: number, options?: ErrorOptions) {
    super(`Line exceeds MAX_LENGTH: ${length} > ${maxLength}`, options);
    this.name = "LineTooLongError";
    this.length = length;
    this.maxLength = maxLength;
  }
}
