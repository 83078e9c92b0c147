// Shared conversions between what users write (strings or bytes) and bytes.

const encoder = new TextEncoder();

/** Strings as UTF-8, bytes as they are. */
export function toBytes(data: Uint8Array | string): Uint8Array {
  return typeof data === "string" ? encoder.encode(data) : data;
}

/** The error for data that is neither bytes nor a string. */
export function badData(data: unknown): TypeError {
  return new TypeError(
    `Data must be a Uint8Array or a string: ${
      data === null ? "null" : typeof data
    }`,
  );
}
