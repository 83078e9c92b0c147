/**
 * `NetstringParseError`: what a netstring decoder raises for bytes that are
 * not a netstring.
 *
 * @module
 */

/**
 * The bytes received are not a netstring: a bad or missing length, a length
 * over the limit, or a missing comma. Raised by `NetstringDecoderStream` (the
 * stream errors with it) and handed to `NetstringReceiver.netstringParseError`.
 *
 * @example Telling a framing error from other failures
 * ```ts
 * import assert from "node:assert/strict";
 * import { NetstringParseError } from "@torsion/protocols";
 *
 * const error = new NetstringParseError("Netstring is missing its comma: got 0x21");
 * assert.ok(error instanceof NetstringParseError);
 * assert.equal(error.name, "NetstringParseError");
 * ```
 */
export class NetstringParseError extends Error {
  /**
   * Makes an error.
   *
   * @param message What is wrong with the bytes, e.g.
   * `"Netstring length exceeds MAX_LENGTH: 123456 > 99999"`.
   * @param options `cause`, if any.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "NetstringParseError";
  }
}
