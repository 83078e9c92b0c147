// The key a peer is counted under by LimitConnectionsByPeer: its host, in one
// spelling per host (IPv4-mapped IPv6 as IPv4, IPv6 canonical, every Unix
// peer the same).

/** The host of a peer address, spelled one way per host. */
export function peerKey(addr: Deno.Addr): string {
  switch (addr.transport) {
    case "tcp":
    case "udp":
      return hostKey(addr.hostname);
    case "unix":
    case "unixpacket":
      return "unix";
    default: {
      const other = addr as { transport: string; cid?: number };
      return other.cid === undefined
        ? String(other.transport)
        : `${other.transport}:${other.cid}`;
    }
  }
}

/** A host name or IP address in canonical form (RFC 5952 for IPv6). */
export function hostKey(hostname: string): string {
  let host = hostname.toLowerCase();
  if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1);
  if (!host.includes(":")) return host;
  const zoneAt = host.indexOf("%");
  const zone = zoneAt === -1 ? "" : host.slice(zoneAt);
  const groups = parseIpv6(zoneAt === -1 ? host : host.slice(0, zoneAt));
  if (groups === null) return host;
  if (
    groups[0] === 0 && groups[1] === 0 && groups[2] === 0 &&
    groups[3] === 0 && groups[4] === 0 && groups[5] === 0xffff
  ) {
    return `${groups[6] >> 8}.${groups[6] & 0xff}.${groups[7] >> 8}.${
      groups[7] & 0xff
    }`;
  }
  return formatIpv6(groups) + zone;
}

// Eight 16-bit groups, or null when `text` is not an IPv6 address.
function parseIpv6(text: string): number[] | null {
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const parse = (part: string): number[] | null => {
    if (part === "") return [];
    const out: number[] = [];
    const pieces = part.split(":");
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i];
      if (i === pieces.length - 1 && piece.includes(".")) {
        const v4 = parseIpv4(piece);
        if (v4 === null) return null;
        out.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      } else if (/^[0-9a-f]{1,4}$/.test(piece)) {
        out.push(parseInt(piece, 16));
      } else {
        return null;
      }
    }
    return out;
  };
  const head = parse(halves[0]);
  const tail = halves.length === 2 ? parse(halves[1]) : [];
  if (head === null || tail === null) return null;
  if (halves.length === 1) return head.length === 8 ? head : null;
  const missing = 8 - head.length - tail.length;
  if (missing < 1) return null;
  return [...head, ...new Array(missing).fill(0), ...tail];
}

function parseIpv4(text: string): number[] | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  const out: number[] = [];
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return null;
    const n = Number(part);
    if (n > 255) return null;
    out.push(n);
  }
  return out;
}

// RFC 5952: lowercase, no leading zeros, the longest run of two or more
// zero groups (the first of equal runs) as "::".
function formatIpv6(groups: number[]): string {
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart === -1) return hex.join(":");
  const head = hex.slice(0, bestStart).join(":");
  const tail = hex.slice(bestStart + bestLength).join(":");
  return `${head}::${tail}`;
}
