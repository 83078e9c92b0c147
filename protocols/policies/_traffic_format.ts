// How TrafficLoggingFactory spells bytes.

const ESCAPES: Record<number, string> = {
  0x09: "\\t",
  0x0a: "\\n",
  0x0d: "\\r",
  0x22: '\\"',
  0x5c: "\\\\",
};

/**
 * The first `limit` bytes of `chunks` as a quoted, escaped string, followed
 * by `...` when there was more.
 */
export function preview(chunks: Uint8Array[], limit: number): string {
  let out = '"';
  let shown = 0;
  let total = 0;
  for (const chunk of chunks) {
    total += chunk.length;
    for (let i = 0; i < chunk.length && shown < limit; i++, shown++) {
      const byte = chunk[i];
      const escape = ESCAPES[byte];
      if (escape !== undefined) out += escape;
      else if (byte >= 0x20 && byte < 0x7f) out += String.fromCharCode(byte);
      else out += "\\x" + byte.toString(16).padStart(2, "0");
    }
  }
  out += '"';
  return shown < total ? out + "..." : out;
}
