/**
 * `LineReceiver`: a protocol that receives lines, and raw data when it asks
 * for it (Twisted's `LineReceiver`).
 *
 * ```text
 * "USER bob\r\nPASS x\r\n"
 * +----------+------+--------+------+
 * | USER bob | \r\n | PASS x | \r\n |
 * +----------+------+--------+------+
 *   line       delimiter (any bytes; "\r\n" by default)
 * ```
 *
 * @module
 */

import { connectedTransport } from "./_framing.ts";
import { LineDelivery } from "./_line_delivery.ts";
import { decodeLine, encodeLine } from "./_line_parser.ts";
import { Protocol } from "./protocol.ts";

/**
 * A protocol that receives lines and/or raw data (Twisted's `LineReceiver`).
 * In line mode each line, without its delimiter, goes to `lineBytesReceived`,
 * which decodes it (UTF-8, lossy) for `lineReceived`; in raw mode
 * (`setRawMode()`) the bytes go to `rawDataReceived` as they come, until
 * `setLineMode()`. A hook may switch modes in the middle of a chunk: the rest
 * of that chunk goes to the new mode, in order.
 *
 * `delimiter` and `MAX_LENGTH` are fields: override them in a subclass by
 * assignment, or assign them at any time; the new values apply to the bytes
 * parsed from then on, including those already buffered (as in Twisted).
 * To change a byte delimiter, assign a new array rather than writing into it.
 *
 * A line of exactly `MAX_LENGTH` bytes is accepted, one byte more is not,
 * whether or not its delimiter has arrived and however the bytes are
 * chunked: an unfinished line is refused as soon as it can no longer end as a
 * line of at most `MAX_LENGTH` bytes. `lineLengthExceeded` then gets every
 * byte buffered (the long line and whatever followed it); parsing goes on
 * with whatever arrives next, unless it closed the connection (the default).
 * So at most `MAX_LENGTH + delimiter.length - 1` bytes (plus one read) are
 * ever held, whatever the peer sends.
 *
 * Once the transport is disconnecting (`loseConnection` was called, by a
 * hook or anyone else) nothing more is delivered and incoming bytes are
 * dropped. `pauseProducing()` holds delivery, even of lines already
 * received, and pauses the transport's reading; `resumeProducing()` resumes
 * both and delivers what is held; `stopProducing()` stops both.
 *
 * @example A server that answers each line with its length
 * ```ts
 * import { LineReceiver } from "@torsion/protocols";
 * import { StringTransport } from "@torsion/protocols/testing";
 *
 * class Measure extends LineReceiver {
 *   override lineReceived(line: string): void {
 *     this.sendLine(String(line.length));
 *   }
 * }
 * const transport = new StringTransport();
 * const measure = new Measure();
 * measure.makeConnection(transport);
 * measure.dataReceived(new TextEncoder().encode("hello\r\nhi\r"));
 * console.log(transport.valueText()); // "5\r\n"
 * measure.dataReceived(new TextEncoder().encode("\n"));
 * console.log(transport.valueText()); // "5\r\n2\r\n"
 * ```
 */
export class LineReceiver extends Protocol {
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
      "LineReceiver.lineReceived is not implemented: override it",
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
   * Called with the bytes received in raw mode. Override it if you use raw
   * mode; the default throws.
   *
   * @param _data The bytes, in order. They are the receiver's to keep.
   * @throws {Error} Unless overridden.
   */
  rawDataReceived(_data: Uint8Array): void {
    throw new Error(
      "LineReceiver.rawDataReceived is not implemented: override it",
    );
  }

  /**
   * Called when a line is too long (see the class docs). The default closes
   * the connection (`loseConnection`). The buffer is empty afterwards:
   * bytes passed back with `setLineMode(extra)` are parsed next.
   *
   * @param _buffer Every byte that was buffered: the long line and whatever
   * followed it.
   */
  lineLengthExceeded(_buffer: Uint8Array): void {
    this.transport?.loseConnection();
  }

  /**
   * Send `line` followed by the delimiter, in one write. Neither its length
   * nor its content is checked.
   *
   * @param line The line (strings are sent as UTF-8).
   * @throws {TypeError} When `line` is neither a string nor bytes.
   * @throws {Error} When the protocol is not connected.
   */
  sendLine(line: string | Uint8Array): void {
    connectedTransport(this).write(encodeLine(line, this.delimiter));
  }

  /** Deliver what arrives next to `rawDataReceived`, starting with what is buffered. */
  setRawMode(): void {
    this.#delivery.setRawMode();
  }

  /**
   * Deliver what arrives next as lines.
   *
   * @param extra Bytes to parse as lines before anything else, typically the
   * part of the data given to `rawDataReceived` that was not raw.
   */
  setLineMode(extra?: Uint8Array): void {
    this.#delivery.setLineMode(extra);
  }

  /**
   * Remove and return every byte buffered and not yet delivered (when called
   * from `lineReceived`: what followed that line).
   *
   * @returns The bytes; empty when nothing is buffered.
   */
  clearLineBuffer(): Uint8Array {
    return this.#delivery.takeAll();
  }

  /**
   * Parse received bytes and deliver lines (or raw data).
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
