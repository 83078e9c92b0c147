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
import { ProxyProtocolError } from "./proxy_protocol_error.ts";
import { describeByte, type ProxyHeaderResult } from "./_proxy_header.ts";
import { parseV1, V1_PREFIX, V1Inspector } from "./_proxy_v1.ts";
import { parseV2, V2_SIGNATURE, V2Inspector } from "./_proxy_v2.ts";

export type {
  ProxyHeader,
  ProxyHeaderResult,
  ProxyTlv,
} from "./_proxy_header.ts";
export { V1_MAX_LENGTH } from "./_proxy_v1.ts";
export { V2_SIGNATURE } from "./_proxy_v2.ts";

/**
 * Reads a PROXY protocol v1 or v2 header from the first bytes of a
 * connection, however they are split.
 */
export class ProxyHeaderParser {
  #queue = new ByteQueue();
  #received = 0;
  #seen = 0; // bytes inspected, until the header's length is known
  #inspector: V1Inspector | V2Inspector | null = null;
  #end = -1; // the header's length, once known
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
      const header = this.#inspector instanceof V1Inspector
        ? parseV1(bytes)
        : parseV2(bytes);
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
      if (byte === V1_PREFIX[0]) this.#inspector = new V1Inspector();
      else if (byte === V2_SIGNATURE[0]) this.#inspector = new V2Inspector();
      else {
        throw new ProxyProtocolError(
          `Missing PROXY protocol header: the connection starts with ${
            describeByte(byte)
          }`,
        );
      }
    } else this.#end = this.#inspector!.inspect(byte, pos);
  }
}
