// A faster path for the framing receivers' senders: a transport that has
// `[writeParts]` takes a framed message (head, payload, trailer) in one call,
// with no array to build and one check of its state for the three pieces.
// ConnTransport has it; any other transport gets writeSequence.

import type { Transport } from "./transport.ts";

/** The key of a transport's three-piece write. */
export const writeParts: unique symbol = Symbol("torsion.writeParts");

/** A transport that can write a framed message in one call. */
interface PartsWriter {
  /** Write `head`, `payload`, then `trailer` (when not null), in order. */
  [writeParts](
    head: Uint8Array,
    payload: Uint8Array,
    trailer: Uint8Array | null,
  ): void;
}

/** Write `head`, `payload` and `trailer` to `transport`, in order. */
export function sendParts(
  transport: Transport,
  head: Uint8Array,
  payload: Uint8Array,
  trailer: Uint8Array | null,
): void {
  const fast = (transport as Partial<PartsWriter>)[writeParts];
  if (fast !== undefined) {
    (transport as Transport & PartsWriter)[writeParts](head, payload, trailer);
  } else if (trailer === null) transport.writeSequence([head, payload]);
  else transport.writeSequence([head, payload, trailer]);
}
