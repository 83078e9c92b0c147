// What the PROXY protocol modules share: the parsed header's shape and how
// a byte is named in an error message. See _proxy_protocol.ts.

/** A type-length-value record of a v2 header. */
export interface ProxyTlv {
  /** The type byte (`0x01` ALPN, `0x02` authority, `0x05` unique id, ...). */
  type: number;
  /** The value (a copy). */
  value: Uint8Array;
}

/** What a PROXY protocol header says. */
export interface ProxyHeader {
  /** 1 (text) or 2 (binary). */
  version: 1 | 2;
  /** `"local"`: a v2 connection the proxy made itself (a health check). */
  command: "proxy" | "local";
  /** The original client; null for LOCAL, UNKNOWN and UNSPEC. */
  source: Deno.NetAddr | Deno.UnixAddr | null;
  /** The address the client connected to; null when `source` is. */
  destination: Deno.NetAddr | Deno.UnixAddr | null;
  /** The v2 TLVs, in order (a CRC32C one is verified); empty for v1. */
  tlvs: ProxyTlv[];
}

/** A complete header and the bytes that came after it. */
export interface ProxyHeaderResult {
  /** The header. */
  header: ProxyHeader;
  /** Bytes after the header, in the chunks pushed so far (may be empty). */
  rest: Uint8Array;
}

export const hex = (n: number): string =>
  `0x${n.toString(16).padStart(2, "0")}`;

/** A byte as hex, with its character when it is printable. */
export function describeByte(byte: number): string {
  return byte >= 0x20 && byte < 0x7f
    ? `${hex(byte)} (${JSON.stringify(String.fromCharCode(byte))})`
    : hex(byte);
}
