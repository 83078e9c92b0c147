/**
 * `LengthLimitExceededError`: a length prefix announced a frame longer than
 * the decoder accepts.
 *
 * @module
 */

/**
 * A length prefix announced a frame longer than the limit (`MAX_LENGTH`,
 * or the stream's `maxLength`). Raised as soon as the prefix is complete,
 * before any of the payload is buffered. `IntNDecoderStream` errors with it;
 * `IntNStringReceiver` calls `lengthLimitExceeded(length)` instead.
 *
 * @example What the error carries
 * ```ts
 * import assert from "node:assert/strict";
 * import { LengthLimitExceededError } from "@torsion/protocols";
 *
 * const error = new LengthLimitExceededError(100000, 99999);
 * assert.equal(error.message, "Frame length exceeds MAX_LENGTH: 100000 > 99999");
 * assert.equal(error.length, 100000);
 * assert.equal(error.maxLength, 99999);
 * ```
 */
export class LengthLimitExceededError extends Error {
  /** The length the prefix announced. */
  readonly length: number;
  /** The limit it exceeds. */
  readonly maxLength: number;

  /**
   * Makes an error.
   *
   * @param length The length the prefix announced.
   * @param maxLength The limit it exceeds.
   * @param options `cause`, if any.
   */
  constructor(length: number, maxLength: number, options?: ErrorOptions) {
    super(
      `Frame length exceeds MAX_LENGTH: ${length} > ${maxLength}`,
      options,
    );
    this.name = "LengthLimitExceededError";
    this.length = length;
    this.maxLength = maxLength;
  }
}
