// PROXY protocol version 1: one line of US-ASCII, at most 107 bytes with
// its CRLF (see the diagram in _proxy_protocol.ts).

import { formatIPv6, parseIPv4, parseIPv6 } from "../protocols/_ip_address.ts";
import { ProxyProtocolError } from "./proxy_protocol_error.ts";
import { describeByte, hex, type ProxyHeader } from "./_proxy_header.ts";

/** The longest v1 line, CRLF included. */
export const V1_MAX_LENGTH = 107;

/** "PROXY ": how a v1 header starts. */
export const V1_PREFIX: Uint8Array = new TextEncoder().encode("PROXY ");
const CR = 0x0d;
const LF = 0x0a;

/** Checks a v1 line byte by byte, as it arrives. */
export class V1Inspector {
  #cr = false;

  /**
   * Check the byte at `pos` (from 1) as it arrives.
   *
   * @returns The header's length once its CRLF is seen, else -1.
   */
  inspect(byte: number, pos: number): number {
    if (pos < V1_PREFIX.length) {
      if (byte !== V1_PREFIX[pos]) {
        throw new ProxyProtocolError(
          `Invalid PROXY v1 signature: byte ${pos} is ${
            describeByte(byte)
          }, expected ${describeByte(V1_PREFIX[pos])}`,
        );
      }
      return -1;
    }
    if (this.#cr) {
      if (byte !== LF) {
        throw new ProxyProtocolError(
          `Invalid PROXY v1 line: CR not followed by LF at byte ${pos - 1}`,
        );
      }
      return pos + 1;
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
    return -1;
  }
}

/** The header a complete v1 line (CRLF included) says. */
export function parseV1(bytes: Uint8Array): ProxyHeader {
  // V1Inspector let only printable ASCII through before the CRLF.
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
