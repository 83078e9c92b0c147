/**
 * `StringTooLongError`: a string too long for the length prefix it is to be
 * sent with.
 *
 * @module
 */

/**
 * A string cannot be sent with a length prefix of this size: a 1-byte prefix
 * holds at most 255, a 2-byte one 65535, a 4-byte one 4294967295. Thrown by
 * `IntNStringReceiver.sendString` and by `IntNEncoderStream` (which then
 * errors). Nothing is written.
 *
 * @example What the error says
 * ```ts
 * import assert from "node:assert/strict";
 * import { StringTooLongError } from "@torsion/protocols";
 *
 * const error = new StringTooLongError(300, 1);
 * assert.equal(error.message, "String length exceeds what a 1-byte prefix can hold: 300 > 255");
 * ```
 */
export class StringTooLongError extends Error {
  /** The length of the string. */
  readonly length: number;
  /** The size of the prefix, in bytes. */
  readonly prefixLength: number;

  /**
   * Makes an error.
   *
   * @param length The length of the string.
   * @param prefixLength The size of the prefix, in bytes.
   * @param options `cause`, if any.
   */
  constructor(length: number, prefixLength: number, options?: ErrorOptions) {
    super(
      `String length exceeds what a ${prefixLength}-byte prefix can hold: ${length} > ${
        2 ** (8 * prefixLength) - 1
      }`,
      options,
    );
    this.name = "StringTooLongError";
    this.length = length;
    this.prefixLength = prefixLength;
  }
}
