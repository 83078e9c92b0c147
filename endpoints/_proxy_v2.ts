// PROXY protocol version 2: a binary block of 16 + LEN bytes (see the
// diagram in _proxy_protocol.ts).

import { formatIPv6 } from "../protocols/_ip_address.ts";
import { ProxyProtocolError } from "./proxy_protocol_error.ts";
import { crc32c } from "./_crc32c.ts";
import { hex, type ProxyHeader, type ProxyTlv } from "./_proxy_header.ts";

/** The 12 bytes a v2 header starts with. */
export const V2_SIGNATURE: Uint8Array = new TextEncoder().encode(
  "\r\n\r\n\0\r\nQUIT\n",
);

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

/** Checks the fixed part of a v2 header byte by byte, as it arrives. */
export class V2Inspector {
  #command = 0;
  #family = 0;
  #lengthHigh = 0;

  /**
   * Check the byte at `pos` (from 1) as it arrives.
   *
   * @returns The header's length once its length field is read, else -1.
   */
  inspect(byte: number, pos: number): number {
    if (pos < V2_SIGNATURE.length) {
      if (byte !== V2_SIGNATURE[pos]) {
        throw new ProxyProtocolError(
          `Invalid PROXY v2 signature: byte ${pos} is ${hex(byte)}, expected ${
            hex(V2_SIGNATURE[pos])
          }`,
        );
      }
      return -1;
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
        return -1;
      }
      case 13: {
        this.#family = byte;
        // LOCAL: "discard the protocol block including the family".
        if (this.#command === COMMAND_LOCAL) return -1;
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
        return -1;
      }
      case 14:
        this.#lengthHigh = byte;
        return -1;
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
        return V2_FIXED + length;
      }
    }
  }
}

// The size of the addresses a v2 header carries, 0 when they are ignored.
function addressLength(command: number, family: number): number {
  if (command !== COMMAND_PROXY || (family & 0x0f) === PROTO_UNSPEC) return 0;
  return ADDRESS_LENGTH[family >> 4];
}

/** The header a complete v2 block says. */
export function parseV2(bytes: Uint8Array): ProxyHeader {
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
