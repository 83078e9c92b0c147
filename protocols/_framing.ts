// What the framing parsers (netstring, length prefix) share.

import type { Protocol } from "./protocol.ts";
import type { Transport } from "./transport.ts";

/** The default limit on a frame's payload, as in Twisted: `MAX_LENGTH`. */
export const DEFAULT_MAX_LENGTH = 99999;

/** Returns `maxLength`, or throws a RangeError unless it is a usable limit. */
export function checkMaxLength(maxLength: number): number {
  if (!Number.isSafeInteger(maxLength) || maxLength < 0) {
    throw new RangeError(
      `Max length must be a non-negative integer: ${maxLength}`,
    );
  }
  return maxLength;
}

/** The protocol's transport, or an Error when it has none yet. */
export function connectedTransport(protocol: Protocol): Transport {
  if (protocol.transport === null) {
    throw new Error("Protocol is not connected: call makeConnection first");
  }
  return protocol.transport;
}
