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
import { attachLineDelivery, type LineDelivery } from "./_line_delivery.ts";
import { decodeLine, sendLineTo } from "./_line_parser.ts";
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
  #delivery: LineDelivery = attachLineDelivery(this);

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
   *
   * @example Answering each line (the seed tutorial's Answer)
   * ```ts
   * import assert from "node:assert/strict";
   * import { LineOnlyReceiver } from "@torsion/protocols";
   * import { StringTransport } from "@torsion/protocols/testing";
   *
   * class Answer extends LineOnlyReceiver {
   *   answers = new Map([["How are you?", "Fine"]]);
   *   override lineReceived(line: string): void {
   *     this.sendLine(this.answers.get(line) ?? "I don't know what you mean");
   *   }
   * }
   *
   * const transport = new StringTransport();
   * const answer = new Answer();
   * answer.makeConnection(transport);
   * answer.dataReceived(new TextEncoder().encode("How are you?\r\n"));
   * assert.equal(transport.valueText(), "Fine\r\n");
   * ```
   */
  lineReceived(_line: string): void {
    throw new Error(
      `${this.constructor.name}.lineReceived is not implemented: override it`,
    );
  }

  /**
   * Called with each line as bytes; the default decodes it and calls
   * `lineReceived`. Override it to stay in bytes.
   *
   * @param line The line, without its delimiter. It is the receiver's to
   * keep: the library never writes into it.
   *
   * @example Staying in bytes (no UTF-8 decoding)
   * ```ts
   * import assert from "node:assert/strict";
   * import { LineOnlyReceiver } from "@torsion/protocols";
   *
   * class Lengths extends LineOnlyReceiver {
   *   lengths: number[] = [];
   *   override lineBytesReceived(line: Uint8Array): void {
   *     this.lengths.push(line.length);
   *   }
   * }
   *
   * const receiver = new Lengths();
   * receiver.dataReceived(new Uint8Array([0xff, 0xfe, 0x0d, 0x0a]));
   * assert.deepEqual(receiver.lengths, [2]);
   * ```
   */
  lineBytesReceived(line: Uint8Array): void {
    this.lineReceived(decodeLine(line));
  }

  /**
   * Called when a line is too long (see the class docs). The default closes
   * the connection (`loseConnection`). The buffer is empty afterwards:
   * bytes passed back with `LineReceiver.setLineMode(extra)` are parsed next.
   *
   * @param _buffer Every byte that was buffered: the long line and whatever
   * followed it.
   *
   * @example Telling the peer instead of hanging up
   * ```ts
   * import assert from "node:assert/strict";
   * import { LineOnlyReceiver } from "@torsion/protocols";
   * import { StringTransport } from "@torsion/protocols/testing";
   *
   * class Short extends LineOnlyReceiver {
   *   override MAX_LENGTH = 8;
   *   override discardLongLineRest = true;
   *   override lineReceived(line: string): void {
   *     this.sendLine(`ok ${line}`);
   *   }
   *   override lineLengthExceeded(_buffer: Uint8Array): void {
   *     this.sendLine("line too long");
   *   }
   * }
   *
   * const transport = new StringTransport();
   * const short = new Short();
   * short.makeConnection(transport);
   * short.dataReceived(new TextEncoder().encode("0123456789\r\nhi\r\n"));
   * assert.equal(transport.valueText(), "line too long\r\nok hi\r\n");
   * assert.equal(transport.disconnecting, false);
   * ```
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
   *
   * @example Sending lines with the default and a custom delimiter
   * ```ts
   * import assert from "node:assert/strict";
   * import { LineOnlyReceiver } from "@torsion/protocols";
   * import { StringTransport } from "@torsion/protocols/testing";
   *
   * const transport = new StringTransport();
   * const receiver = new LineOnlyReceiver();
   * receiver.makeConnection(transport);
   * receiver.sendLine("hello");
   * receiver.delimiter = "\n";
   * receiver.sendLine(new Uint8Array([0x68, 0x69]));
   * assert.equal(transport.valueText(), "hello\r\nhi\n");
   * ```
   */
  sendLine(line: string | Uint8Array): void {
    sendLineTo(connectedTransport(this), line, this.delimiter);
  }

  /**
   * Remove and return every byte buffered and not yet delivered (when called
   * from `lineReceived`: what followed that line).
   *
   * @returns The bytes; empty when nothing is buffered.
   *
   * @example Taking over the rest of the input
   * ```ts
   * import assert from "node:assert/strict";
   * import { LineOnlyReceiver } from "@torsion/protocols";
   *
   * class Handoff extends LineOnlyReceiver {
   *   rest = "";
   *   override lineReceived(_line: string): void {
   *     this.rest = new TextDecoder().decode(this.clearLineBuffer());
   *   }
   * }
   *
   * const handoff = new Handoff();
   * handoff.dataReceived(new TextEncoder().encode("UPGRADE\r\nnext\r\nbytes"));
   * assert.equal(handoff.rest, "next\r\nbytes");
   * ```
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

  /**
   * Hold delivery and pause the transport's reading.
   *
   * @example Holding lines until a slow job is done
   * ```ts
   * import assert from "node:assert/strict";
   * import { LineOnlyReceiver } from "@torsion/protocols";
   * import { StringTransport } from "@torsion/protocols/testing";
   *
   * class Jobs extends LineOnlyReceiver {
   *   done: string[] = [];
   *   override lineReceived(line: string): void {
   *     this.done.push(line);
   *     this.pauseProducing(); // one job at a time
   *   }
   * }
   *
   * const transport = new StringTransport();
   * const jobs = new Jobs();
   * jobs.makeConnection(transport);
   * jobs.dataReceived(new TextEncoder().encode("a\r\nb\r\n"));
   * assert.deepEqual(jobs.done, ["a"]);
   * assert.equal(transport.producerState, "paused");
   * jobs.resumeProducing(); // job "a" finished
   * assert.deepEqual(jobs.done, ["a", "b"]);
   * ```
   */
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
