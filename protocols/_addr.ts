// Addresses as messages and logs spell them.

/**
 * `127.0.0.1:8007`, `[::1]:8007`, `unix:/path`, `unix:(unnamed)`; any other
 * kind of address as `other` spells it (by default, its transport's name).
 */
export function formatAddr(
  addr: Deno.Addr,
  other: (addr: Deno.Addr) => string = (a) => String(a.transport),
): string {
  switch (addr.transport) {
    case "tcp":
    case "udp":
      return addr.hostname.includes(":")
        ? `[${addr.hostname}]:${addr.port}`
        : `${addr.hostname}:${addr.port}`;
    case "unix":
    case "unixpacket":
      // `||`: a raw remoteAddr may still have a null path.
      return `unix:${addr.path || "(unnamed)"}`;
    default:
      return other(addr);
  }
}
