// Shared conversions between what users write (strings or bytes) and bytes.

const encoder = new TextEncoder();

/** Strings as UTF-8, bytes as they are. */
export function toBytes(data: Uint8Array | string): Uint8Array {
  return typeof data === "string" ? encoder.encode(data) : data;
}

/**
 * `data` as bytes (strings as UTF-8); for anything else a TypeError naming
 * `what` ("Data must be a Uint8Array or a string: number").
 */
export function checkedBytes(
  data: Uint8Array | string,
  what = "Data",
): Uint8Array {
  if (typeof data === "string") return encoder.encode(data);
  if (data instanceof Uint8Array) return data;
  throw badData(data, what);
}

/**
 * The chunks of a `writeSequence`, every one checked before any is written:
 * a bad chunk is a TypeError and nothing of the sequence is sent.
 */
export function checkedChunks(
  chunks: Iterable<Uint8Array | string>,
): readonly (Uint8Array | string)[] {
  const list = Array.isArray(chunks) ? chunks : Array.from(chunks);
  for (const chunk of list) {
    if (typeof chunk !== "string" && !(chunk instanceof Uint8Array)) {
      throw badData(chunk);
    }
  }
  return list;
}

/** The error for data (or `what`) that is neither bytes nor a string. */
export function badData(data: unknown, what = "Data"): TypeError {
  return new TypeError(
    `${what} must be a Uint8Array or a string: ${
      data === null ? "null" : typeof data
    }`,
  );
}
