// IP address text, shared by the PROXY protocol parser and the per-peer
// connection limit: strict parsing (as inet_pton) and RFC 5952 formatting.

const DECIMAL = /^(?:0|[1-9][0-9]*)$/;

/** Four decimal numbers 0-255 without leading zeros, or null. */
export function parseIPv4(text: string): string | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  for (const part of parts) {
    if (!DECIMAL.test(part) || part.length > 3 || Number(part) > 255) {
      return null;
    }
  }
  return text;
}

/**
 * An IPv6 address as `inet_pton` takes it (groups of 1-4 hex digits, one
 * `::` at most, an optional dotted IPv4 tail), or null.
 */
export function parseIPv6(text: string): Uint8Array | null {
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const groups = (half: string): number[] | null => {
    if (half === "") return [];
    const out: number[] = [];
    const parts = half.split(":");
    for (const [i, part] of parts.entries()) {
      if (i === parts.length - 1 && part.includes(".")) {
        const v4 = parseIPv4(part);
        if (v4 === null) return null;
        const [a, b, c, d] = v4.split(".").map(Number);
        out.push((a << 8) | b, (c << 8) | d);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(part)) {
        out.push(parseInt(part, 16));
      } else return null;
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  if (head === null || tail === null) return null;
  // A dotted tail is only allowed at the very end.
  if (halves.length === 2 && halves[0].includes(".")) return null;
  const count = head.length + tail.length;
  if (halves.length === 2 ? count > 7 : count !== 8) return null;
  const all = [...head, ...new Array(8 - count).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  all.forEach((group, i) => {
    bytes[2 * i] = group >> 8;
    bytes[2 * i + 1] = group & 0xff;
  });
  return bytes;
}

/**
 * RFC 5952 text of a 16-byte address: lower case, no leading zeros, the
 * longest run of two or more zero groups as `::`, IPv4-mapped addresses as
 * `::ffff:a.b.c.d` (as Deno reports socket addresses).
 */
export function formatIPv6(bytes: Uint8Array): string {
  if (isIPv4Mapped(bytes)) return `::ffff:${bytes.subarray(12).join(".")}`;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i] << 8) | bytes[i + 1]);
  let best = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      best = i;
      bestLength = j - i;
    }
    i = j;
  }
  const text = (list: number[]): string =>
    list.map((g) => g.toString(16)).join(":");
  if (best === -1) return text(groups);
  return `${text(groups.slice(0, best))}::${
    text(groups.slice(best + bestLength))
  }`;
}

/** True for an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`, 16 bytes). */
export function isIPv4Mapped(bytes: Uint8Array): boolean {
  return bytes.subarray(0, 10).every((byte) => byte === 0) &&
    bytes[10] === 0xff && bytes[11] === 0xff;
}
