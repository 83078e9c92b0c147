// The key a peer is counted under by LimitConnectionsByPeer: its host, in one
// spelling per host (IPv4-mapped IPv6 as IPv4, IPv6 canonical, every Unix
// peer the same).

import { formatIPv6, isIPv4Mapped, parseIPv6 } from "../_ip_address.ts";

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
  const bytes = parseIPv6(zoneAt === -1 ? host : host.slice(0, zoneAt));
  if (bytes === null) return host;
  if (isIPv4Mapped(bytes)) return bytes.subarray(12).join(".");
  return formatIPv6(bytes) + zone;
}
