// Shared conversions between what users write (strings or bytes) and bytes.

const encoder = new TextEncoder();

/** Strings as UTF-8, bytes as they are. */
export function toBytes(data: Uint8Array | string): Uint8Array {
  return typeof data === "string" ? encoder.encode(data) : data;
}
