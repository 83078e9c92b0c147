/**
 * `LineOnlyReceiver`: a protocol that receives only lines (Twisted's
 * `LineOnlyReceiver`): `LineReceiver` without raw mode, with the same
 * parser and the same `MAX_LENGTH` edge.
 *
 * ```text
 * INPUT (one read, or split anywhere)      DECODED (lineReceived)
 * +------+------+------+------+
 * | PING | \r\n | PING | \r\n |       -->   "PING", "PING"
 * +------+------+------+------+
 *   line   delim  line   delim   (delimiter "\r\n" by default, any bytes)
 *
 * 16384 bytes + "\r\n"                   -->   lineReceived(16384 bytes)
 * 16385 bytes, none of them "\r"         -->   lineLengthExceeded(every byte held)
 * ```
 *
 * Sending: `sendLine("PONG")` writes `"PONG\r\n"` in one write.
 *
 * @module
 */

import { connectedTransport } from "./_framing.ts";
import { LineDelivery } from "./_line_delivery.ts";
import { decodeLine, lineParts } from "./_line_parser.ts";
import { Protocol } from "./protocol.ts";

/**
 * A protocol that receives only lines. The line rules are exactly those of
 * `LineReceiver` (same parser, same `MAX_LENGTH` edge: a line of
 * `MAX_LENGTH` bytes is accepted, one more is refused at once, finished or
 * not; Twisted's two receivers disagree here, these do not), and so are
 * `sendLine`, `lineLengthExceeded`, `clearLineBuffer` and pause/resume.
 *
 * @example A server that answers "PING" lines with "PONG"
 * ```ts
 * import assert from "node:assert/strict";
 * import { LineOnlyReceiver } from "@torsion/protocols";
 * import { StringTransport } from "@torsion/protocols/testing";
 *
 * class Pong extends LineOnlyReceiver {
 *   override delimiter = "\n";
 *   override lineReceived(line: string): void {
 *     if (line === "PING") this.sendLine("PONG");
 *   }
 * }
 * const transport = new StringTransport();
 * const pong = new Pong();
 * pong.makeConnection(transport);
 * pong.dataReceived(new TextEncoder().encode("PING\nPING\n"));
 * assert.equal(transport.valueText(), "PONG\nPONG\n");
 * ```
 */
export class LineOnlyReceiver extends Protocol {
  /** The bytes that end a line: a string (sent as UTF-8) or bytes. */
  delimiter: string | Uint8Array = "\r\n";
  /** The longest line accepted, in bytes, without its delimiter. */
  MAX_LENGTH = 16384;
  /**
   * How a line that is too long is refused when `lineLengthExceeded` keeps
   * the connection open. False (Twisted's behaviour, the default):
   * `lineLengthExceeded` gets every byte buffered, the long line and
   * whatever followed it, and parsing goes on with whatever arrives next, so
   * the rest of an unfinished long line is taken for a new line. True
   * (tokio's `LinesCodec`): `lineLengthExceeded` gets that line alone
   * (without its delimiter; or what has come of it), its rest is discarded
   * up to and including its delimiter, and every line after it is parsed as
   * usual: one long line is refused once and nothing else is lost.
   */
  discardLongLineRest = false;
  #delivery = new LineDelivery(this);

  /** True from `pauseProducing()` or `stopProducing()` until `resumeProducing()`. */
  get paused(): boolean {
    return this.#delivery.paused;
  }

  /**
   * Called with each line, decoded from UTF-8 (invalid bytes become U+FFFD)
   * by the default `lineBytesReceived`. Override it; the default throws.
   *
   * @param _line The line, without its delimiter.
   * @throws {Error} Unless overridden.
   */
  lineReceived(_line: string): void {
    throw new Error(
      "LineOnlyReceiver.lineReceived is not implemented: override it",
    );
  }

  /**
   * Called with each line as bytes; the default decodes it and calls
   * `lineReceived`. Override it to stay in bytes.
   *
   * @param line The line, without its delimiter. It is the receiver's to
   * keep: the library never writes into it.
   */
  lineBytesReceived(line: Uint8Array): void {
    this.lineReceived(decodeLine(line));
  }

  /**
   * Called when a line is too long. The default closes the connection
   * (`loseConnection`); otherwise parsing goes on with what arrives next.
   *
   * @param _buffer Every byte that was buffered: the long line and whatever
   * followed it.
   *
   * @example The default: the connection is closed
   * ```ts
   * import assert from "node:assert/strict";
   * import { LineOnlyReceiver } from "@torsion/protocols";
   * import { StringTransport } from "@torsion/protocols/testing";
   *
   * class Tiny extends LineOnlyReceiver {
   *   override MAX_LENGTH = 4;
   *   override lineReceived(_line: string): void {}
   * }
   *
   * const transport = new StringTransport();
   * const tiny = new Tiny();
   * tiny.makeConnection(transport);
   * tiny.dataReceived(new TextEncoder().encode("too long"));
   * assert.equal(transport.disconnecting, true);
   * ```
   */
  lineLengthExceeded(_buffer: Uint8Array): void {
    this.transport?.loseConnection();
  }

  /**
   * Send `line` followed by the delimiter, in one write.
   *
   * @param line The line (strings are sent as UTF-8).
   * @throws {TypeError} When `line` is neither a string nor bytes.
   * @throws {Error} When the protocol is not connected.
   *
   * @example Sending a line
   * ```ts
   * import assert from "node:assert/strict";
   * import { LineOnlyReceiver } from "@torsion/protocols";
   * import { StringTransport } from "@torsion/protocols/testing";
   *
   * const transport = new StringTransport();
   * const receiver = new LineOnlyReceiver();
   * receiver.makeConnection(transport);
   * receiver.sendLine("PONG");
   * assert.equal(transport.valueText(), "PONG\r\n");
   * assert.throws(() => new LineOnlyReceiver().sendLine("x"), Error); // not connected
   * ```
   */
  sendLine(line: string | Uint8Array): void {
    connectedTransport(this).writeSequence(lineParts(line, this.delimiter));
  }

  /**
   * Remove and return every byte buffered and not yet delivered.
   *
   * @returns The bytes; empty when nothing is buffered.
   */
  clearLineBuffer(): Uint8Array {
    return this.#delivery.takeAll();
  }

  /**
   * Parse received bytes and deliver lines.
   *
   * @param data Bytes from the peer.
   */
  override dataReceived(data: Uint8Array): void {
    this.#delivery.feed(data);
  }

  /** Hold delivery and pause the transport's reading. */
  pauseProducing(): void {
    this.#delivery.pause();
  }

  /** Resume the transport's reading and deliver what is buffered. */
  resumeProducing(): void {
    this.#delivery.resume();
  }

  /** Stop delivery and the transport's reading. */
  stopProducing(): void {
    this.#delivery.stop();
  }
}
