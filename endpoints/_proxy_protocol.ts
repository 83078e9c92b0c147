// The PROXY protocol header (HAProxy's proxy-protocol.txt, versions 1 and 2):
// a sans-IO parser. Push the bytes a connection starts with, in chunks of any
// size; it answers null until the header is complete, then the header and
// the bytes that followed it in the same chunks. Anything that does not match
// the specification throws a `ProxyProtocolError` as soon as the offending
// byte arrives (the specification asks to abort early so the sender notices).
//
// Version 1: one line of US-ASCII, at most 107 bytes with its CRLF.
//
//   PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n
//   PROXY TCP6 2001:db8::1 2001:db8::2 56324 443\r\n
//   PROXY UNKNOWN[ anything]\r\n          (use the socket's own addresses)
//
// Version 2: a binary block of 16 + LEN bytes.
//
//   0                   12      13      14      16
//   +-------------------+-------+-------+-------+----------------------+
//   | \r\n\r\n\0\r\nQUIT\n | 0x2C  | AF|P  |  LEN  | addresses, TLVs ...  |
//   +-------------------+-------+-------+-------+----------------------+
//   C (command): 0 LOCAL (use the socket's addresses), 1 PROXY
//   AF: 0 UNSPEC, 1 INET (4+4+2+2 bytes), 2 INET6 (16+16+2+2), 3 UNIX (108+108)
//   P:  0 UNSPEC, 1 STREAM, 2 DGRAM
//   addresses: source, destination, source port, destination port
//   TLV: type (1 byte), length (2 bytes, big-endian), value

import { ByteQueue } from "../protocols/_byte_queue.ts";
import { formatIPv6, parseIPv4, parseIPv6 } from "../protocols/_ip_address.ts";
import { ProxyProtocolError } from "./proxy_protocol_error.ts";
import { crc32c } from "./_crc32c.ts";

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

/** The longest v1 line, CRLF included. */
export const V1_MAX_LENGTH = 107;

/** The 12 bytes a v2 header starts with. */
export const V2_SIGNATURE: Uint8Array = Uint8Array.of(
  0x0d,
  0x0a,
  0x0d,
  0x0a,
  0x00,
  0x0d,
  0x0a,
  0x51,
  0x55,
  0x49,
  0x54,
  0x0a,
);

const V1_PREFIX = new TextEncoder().encode("PROXY ");
const CR = 0x0d;
const LF = 0x0a;
const V2_FIXED = 16;
const AF_INET = 1;
const AF_INET6 = 2;
const AF_UNIX = 3;
const PROTO_UNSPEC = 0;
const PROTO_DGRAM = 2;
const COMMAND_LOCAL = 0;
const COMMAND_PROXY = 1;
const ADDRESS_LENGTH = [0, 12, 36, 216];
const FAMILY_NAME = ["AF_UNSPEC", "AF_INET", "AF_INET6", "AF_UNIX"];
const UNIX_PATH = 108;
const TLV_CRC32C = 0x03;

const hex = (n: number): string => `0x${n.toString(16).padStart(2, "0")}`;

function describeByte(byte: number): string {
  return byte >= 0x20 && byte < 0x7f
    ? `${hex(byte)} (${JSON.stringify(String.fromCharCode(byte))})`
    : hex(byte);
}

/**
 * Reads a PROXY protocol v1 or v2 header from the first bytes of a
 * connection, however they are split.
 */
export class ProxyHeaderParser {
  #queue = new ByteQueue();
  #received = 0;
  #seen = 0; // bytes inspected, until the header's length is known
  #version: 0 | 1 | 2 = 0;
  #command = 0;
  #family = 0;
  #lengthHigh = 0;
  #end = -1; // the header's length, once known
  #cr = false;
  #state: "reading" | "done" | "failed" = "reading";

  /** Bytes pushed so far. */
  get received(): number {
    return this.#received;
  }

  /**
   * Take the next bytes of the connection.
   *
   * @param chunk Bytes in the order received (kept by reference until the
   *   header is complete; `rest` may be a view of it).
   * @returns null while the header is incomplete, then the header and the
   *   bytes that followed it.
   * @throws {ProxyProtocolError} When the bytes are not a valid header.
   * @throws {TypeError} When called after the result or an error.
   */
  push(chunk: Uint8Array): ProxyHeaderResult | null {
    if (this.#state !== "reading") {
      throw new TypeError(`PROXY protocol parser is ${this.#state}`);
    }
    this.#received += chunk.length;
    try {
      for (let i = 0; this.#end === -1 && i < chunk.length; i++) {
        this.#inspect(chunk[i]);
      }
      this.#queue.push(chunk);
      if (this.#end === -1 || this.#queue.length < this.#end) return null;
      const bytes = this.#queue.take(this.#end);
      const header = this.#version === 1 ? parseV1(bytes) : parseV2(bytes);
      const rest = this.#queue.takeAll();
      this.#state = "done";
      return { header, rest };
    } catch (error) {
      this.#state = "failed";
      this.#queue.clear();
      throw error;
    }
  }

  /**
   * The connection ended before the header was complete.
   *
   * @throws {ProxyProtocolError} Always: the header is missing or truncated.
   * @throws {TypeError} When called after the result or an error.
   */
  end(): never {
    if (this.#state !== "reading") {
      throw new TypeError(`PROXY protocol parser is ${this.#state}`);
    }
    this.#state = "failed";
    throw new ProxyProtocolError(
      this.#received === 0
        ? "Missing PROXY protocol header: the connection closed before sending one"
        : `Truncated PROXY protocol header: the connection closed after ${this.#received} bytes`,
    );
  }

  #inspect(byte: number): void {
    const pos = this.#seen++;
    if (pos === 0) {
      if (byte === V1_PREFIX[0]) this.#version = 1;
      else if (byte === V2_SIGNATURE[0]) this.#version = 2;
      else {
        throw new ProxyProtocolError(
          `Missing PROXY protocol header: the connection starts with ${
            describeByte(byte)
          }`,
        );
      }
    } else if (this.#version === 1) this.#inspectV1(byte, pos);
    else this.#inspectV2(byte, pos);
  }

  #inspectV1(byte: number, pos: number): void {
    if (pos < V1_PREFIX.length) {
      if (byte !== V1_PREFIX[pos]) {
        throw new ProxyProtocolError(
          `Invalid PROXY v1 signature: byte ${pos} is ${
            describeByte(byte)
          }, expected ${describeByte(V1_PREFIX[pos])}`,
        );
      }
      return;
    }
    if (this.#cr) {
      if (byte !== LF) {
        throw new ProxyProtocolError(
          `Invalid PROXY v1 line: CR not followed by LF at byte ${pos - 1}`,
        );
      }
      this.#end = pos + 1;
      return;
    }
    if (byte === CR) this.#cr = true;
    else if (byte === LF) {
      throw new ProxyProtocolError(
        `Invalid PROXY v1 line: LF without CR at byte ${pos}`,
      );
    } else if (byte < 0x20 || byte > 0x7e) {
      throw new ProxyProtocolError(
        `Invalid PROXY v1 line: byte ${pos} is ${
          hex(byte)
        }, not printable ASCII`,
      );
    }
    if (pos + 1 >= V1_MAX_LENGTH) {
      throw new ProxyProtocolError(
        `PROXY v1 line too long: no CRLF within ${V1_MAX_LENGTH} bytes`,
      );
    }
  }

  #inspectV2(byte: number, pos: number): void {
    if (pos < V2_SIGNATURE.length) {
      if (byte !== V2_SIGNATURE[pos]) {
        throw new ProxyProtocolError(
          `Invalid PROXY v2 signature: byte ${pos} is ${hex(byte)}, expected ${
            hex(V2_SIGNATURE[pos])
          }`,
        );
      }
      return;
    }
    switch (pos) {
      case 12: {
        const version = byte >> 4;
        if (version !== 2) {
          throw new ProxyProtocolError(
            `Unsupported PROXY protocol version: ${version} (expected 2)`,
          );
        }
        this.#command = byte & 0x0f;
        if (
          this.#command !== COMMAND_LOCAL && this.#command !== COMMAND_PROXY
        ) {
          throw new ProxyProtocolError(
            `Unknown PROXY v2 command: ${
              hex(this.#command)
            } (expected 0x00 LOCAL or 0x01 PROXY)`,
          );
        }
        return;
      }
      case 13: {
        this.#family = byte;
        // LOCAL: "discard the protocol block including the family".
        if (this.#command === COMMAND_LOCAL) return;
        if (byte >> 4 > AF_UNIX) {
          throw new ProxyProtocolError(
            `Unknown PROXY v2 address family: ${hex(byte >> 4)}`,
          );
        }
        if ((byte & 0x0f) > PROTO_DGRAM) {
          throw new ProxyProtocolError(
            `Unknown PROXY v2 transport protocol: ${hex(byte & 0x0f)}`,
          );
        }
        return;
      }
      case 14:
        this.#lengthHigh = byte;
        return;
      default: {
        const length = (this.#lengthHigh << 8) | byte;
        const needed = addressLength(this.#command, this.#family);
        if (length < needed) {
          throw new ProxyProtocolError(
            `Truncated PROXY v2 address block: ${length} bytes < ${needed} for ${
              FAMILY_NAME[this.#family >> 4]
            }`,
          );
        }
        this.#end = V2_FIXED + length;
      }
    }
  }
}

// The size of the addresses a v2 header carries, 0 when they are ignored.
function addressLength(command: number, family: number): number {
  if (command !== COMMAND_PROXY || (family & 0x0f) === PROTO_UNSPEC) return 0;
  return ADDRESS_LENGTH[family >> 4];
}

function parseV2(bytes: Uint8Array): ProxyHeader {
  const command = bytes[12] & 0x0f;
  const family = bytes[13];
  const local = command === COMMAND_LOCAL;
  const used = addressLength(command, family);
  if (used === 0) {
    // LOCAL, AF_UNSPEC or an unspecified protocol: the socket's addresses
    // stand, and whatever follows is skipped unread.
    return {
      version: 2,
      command: local ? "local" : "proxy",
      source: null,
      destination: null,
      tlvs: [],
    };
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const at = V2_FIXED;
  const net = (family & 0x0f) === PROTO_DGRAM ? "udp" : "tcp";
  let source: Deno.NetAddr | Deno.UnixAddr;
  let destination: Deno.NetAddr | Deno.UnixAddr;
  switch (family >> 4) {
    case AF_INET:
      source = {
        transport: net,
        hostname: bytes.subarray(at, at + 4).join("."),
        port: view.getUint16(at + 8),
      };
      destination = {
        transport: net,
        hostname: bytes.subarray(at + 4, at + 8).join("."),
        port: view.getUint16(at + 10),
      };
      break;
    case AF_INET6:
      source = {
        transport: net,
        hostname: formatIPv6(bytes.subarray(at, at + 16)),
        port: view.getUint16(at + 32),
      };
      destination = {
        transport: net,
        hostname: formatIPv6(bytes.subarray(at + 16, at + 32)),
        port: view.getUint16(at + 34),
      };
      break;
    default:
      source = {
        transport: "unix",
        path: unixPath(bytes.subarray(at, at + UNIX_PATH)),
      };
      destination = {
        transport: "unix",
        path: unixPath(bytes.subarray(at + UNIX_PATH, at + 2 * UNIX_PATH)),
      };
  }
  return {
    version: 2,
    command: "proxy",
    source,
    destination,
    tlvs: parseTlvs(bytes, view, at + used),
  };
}

function parseTlvs(
  bytes: Uint8Array,
  view: DataView,
  start: number,
): ProxyTlv[] {
  const tlvs: ProxyTlv[] = [];
  let at = start;
  while (at < bytes.length) {
    if (at + 3 > bytes.length) {
      throw new ProxyProtocolError(
        `Truncated PROXY v2 TLV: ${
          bytes.length - at
        } bytes left at offset ${at}, a TLV needs 3`,
      );
    }
    const type = bytes[at];
    const length = view.getUint16(at + 1);
    const value = at + 3;
    if (value + length > bytes.length) {
      throw new ProxyProtocolError(
        `Truncated PROXY v2 TLV: type ${
          hex(type)
        } at offset ${at} says ${length} bytes, ${bytes.length - value} left`,
      );
    }
    if (type === TLV_CRC32C) checkCrc(bytes, view, value, length);
    tlvs.push({ type, value: bytes.slice(value, value + length) });
    at = value + length;
  }
  return tlvs;
}

function checkCrc(
  bytes: Uint8Array,
  view: DataView,
  at: number,
  length: number,
): void {
  if (length !== 4) {
    throw new ProxyProtocolError(
      `Invalid PROXY v2 CRC32C TLV: ${length} bytes (expected 4)`,
    );
  }
  const sent = view.getUint32(at);
  const zeroed = bytes.slice();
  zeroed.fill(0, at, at + 4);
  const computed = crc32c(zeroed);
  if (sent !== computed) {
    throw new ProxyProtocolError(
      `PROXY v2 CRC32C mismatch: header says 0x${
        sent.toString(16).padStart(8, "0")
      }, computed 0x${computed.toString(16).padStart(8, "0")}`,
    );
  }
}

// A sun_path: up to the first NUL. An abstract address (leading NUL) is
// shown with a leading "@", as `ss` and `socat` show it.
function unixPath(raw: Uint8Array): string {
  const abstract = raw[0] === 0;
  const body = abstract ? raw.subarray(1) : raw;
  const nul = body.indexOf(0);
  const name = new TextDecoder().decode(
    nul === -1 ? body : body.subarray(0, nul),
  );
  return abstract ? (name === "" ? "" : `@${name}`) : name;
}

function parseV1(bytes: Uint8Array): ProxyHeader {
  // #inspectV1 let only printable ASCII through before the CRLF.
  const line = String.fromCharCode(...bytes.subarray(0, bytes.length - 2));
  const fields = line.split(" ");
  const protocol = fields[1];
  if (protocol === "UNKNOWN") {
    return {
      version: 1,
      command: "proxy",
      source: null,
      destination: null,
      tlvs: [],
    };
  }
  if (protocol !== "TCP4" && protocol !== "TCP6") {
    throw new ProxyProtocolError(
      `Unknown PROXY v1 protocol: ${
        JSON.stringify(protocol)
      } (expected TCP4, TCP6 or UNKNOWN)`,
    );
  }
  if (fields.length !== 6) {
    throw new ProxyProtocolError(
      `Malformed PROXY v1 line: ${
        fields.length - 1
      } fields after PROXY (expected 5, single-space separated): ${
        JSON.stringify(line)
      }`,
    );
  }
  const parse = protocol === "TCP4" ? parseIPv4 : parseIPv6Text;
  const address = (text: string, what: string): string => {
    const hostname = parse(text);
    if (hostname === null) {
      throw new ProxyProtocolError(
        `Invalid PROXY v1 ${what} address: ${JSON.stringify(text)} (expected ${
          protocol === "TCP4" ? "IPv4" : "IPv6"
        })`,
      );
    }
    return hostname;
  };
  return {
    version: 1,
    command: "proxy",
    source: {
      transport: "tcp",
      hostname: address(fields[2], "source"),
      port: parsePort(fields[4], "source"),
    },
    destination: {
      transport: "tcp",
      hostname: address(fields[3], "destination"),
      port: parsePort(fields[5], "destination"),
    },
    tlvs: [],
  };
}

// Decimal, no leading zeros (the specification forbids them: octal).
const DECIMAL = /^(?:0|[1-9][0-9]*)$/;

function parsePort(text: string, what: string): number {
  const port = DECIMAL.test(text) && text.length <= 5 ? Number(text) : NaN;
  if (!(port <= 65535)) {
    throw new ProxyProtocolError(
      `Invalid PROXY v1 ${what} port: ${
        JSON.stringify(text)
      } (expected 0-65535 without leading zeros)`,
    );
  }
  return port;
}

function parseIPv6Text(text: string): string | null {
  const bytes = parseIPv6(text);
  return bytes === null ? null : formatIPv6(bytes);
}
