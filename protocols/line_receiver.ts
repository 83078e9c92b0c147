/**
 * `LineReceiver`: a protocol that receives lines, and raw data when it asks
 * for it (Twisted's `LineReceiver`).
 *
 * Line mode: each line is the bytes before a delimiter (`"\r\n"` by
 * default; any string or bytes may be set as `delimiter`). Neither the
 * delimiter nor the way the bytes are split across reads is part of a line.
 *
 * ```text
 * INPUT (one read, or split anywhere)             DECODED (lineReceived)
 * +----------+------+------+--------+------+
 * | USER bob | \r\n | \r\n | PASS x | \r\n |  -->  "USER bob", "", "PASS x"
 * +----------+------+------+--------+------+
 *   line       delim  empty  line     delim
 *
 * "PING\r" then "\n"                              -->  "PING"
 * "a\nb\r\n"   (a lone "\n" is not "\r\n")        -->  "a\nb"
 * "no delimiter yet"                              -->  (buffered, waits)
 * ```
 *
 * `MAX_LENGTH` (16384 by default) bounds a line without its delimiter,
 * whether or not the delimiter has arrived:
 *
 * ```text
 * INPUT                              RESULT
 * 16384 bytes + "\r\n"               lineReceived(16384 bytes)
 * 16384 bytes + "\r"                 waits: "\n" may still end the line
 * 16385 bytes, none of them "\r"     lineLengthExceeded(every byte held)
 * 16385 bytes + "\r\n"               lineLengthExceeded(all 16387 bytes)
 * ```
 *
 * Raw mode: after `setRawMode()` (typically called from `lineReceived`),
 * the rest of the chunk and everything after it go to `rawDataReceived`
 * until `setLineMode(extra)`:
 *
 * ```text
 * one read: "SIZE 5\r\nhelloQUIT\r\n"
 *   lineReceived("SIZE 5")            the protocol calls setRawMode()
 *   rawDataReceived("helloQUIT\r\n")  it keeps 5 bytes, and hands the rest
 *                                     back: setLineMode("QUIT\r\n")
 *   lineReceived("QUIT")
 * ```
 *
 * Sending: `sendLine("hello")` writes `"hello\r\n"` (the line, then the
 * delimiter) in one write.
 *
 * @example A line protocol with a raw-mode body
 * ```ts
 * import assert from "node:assert/strict";
 * import { LineReceiver } from "@torsion/protocols";
 * import { StringTransport } from "@torsion/protocols/testing";
 *
 * class Upload extends LineReceiver {
 *   #wanted = 0;
 *   override lineReceived(line: string): void {
 *     const size = /^SIZE (\d+)$/.exec(line);
 *     if (size) {
 *       this.#wanted = Number(size[1]);
 *       this.setRawMode();
 *     } else this.sendLine(`? ${line}`);
 *   }
 *   override rawDataReceived(data: Uint8Array): void {
 *     const body = data.subarray(0, this.#wanted);
 *     this.sendLine(`got ${new TextDecoder().decode(body)}`);
 *     this.setLineMode(data.subarray(this.#wanted));
 *   }
 * }
 *
 * const transport = new StringTransport();
 * const upload = new Upload();
 * upload.makeConnection(transport);
 * upload.dataReceived(new TextEncoder().encode("SIZE 5\r\nhelloQUIT\r\n"));
 * assert.equal(transport.valueText(), "got hello\r\n? QUIT\r\n");
 * ```
 *
 * @module
 */

import { lineDeliveryOf } from "./_line_delivery.ts";
import { LineOnlyReceiver } from "./line_only_receiver.ts";

/**
 * A protocol that receives lines and/or raw data (Twisted's `LineReceiver`):
 * a `LineOnlyReceiver` (same line rules, senders and pause/resume) plus raw
 * mode.
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
 * import assert from "node:assert/strict";
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
 * assert.equal(transport.valueText(), "5\r\n");
 * measure.dataReceived(new TextEncoder().encode("\n"));
 * assert.equal(transport.valueText(), "5\r\n2\r\n");
 * ```
 */
export class LineReceiver extends LineOnlyReceiver {
  /**
   * Called with the bytes received in raw mode. Override it if you use raw
   * mode; the default throws.
   *
   * @param _data The bytes, in order. They are the receiver's to keep.
   * @throws {Error} Unless overridden.
   *
   * @example Counting raw bytes after a command
   * ```ts
   * import assert from "node:assert/strict";
   * import { LineReceiver } from "@torsion/protocols";
   *
   * class Sink extends LineReceiver {
   *   raw = 0;
   *   override lineReceived(line: string): void {
   *     if (line === "DATA") this.setRawMode();
   *   }
   *   override rawDataReceived(data: Uint8Array): void {
   *     this.raw += data.length;
   *   }
   * }
   *
   * const sink = new Sink();
   * sink.dataReceived(new TextEncoder().encode("DATA\r\n1234"));
   * sink.dataReceived(new TextEncoder().encode("56"));
   * assert.equal(sink.raw, 6);
   * ```
   */
  rawDataReceived(_data: Uint8Array): void {
    throw new Error(
      `${this.constructor.name}.rawDataReceived is not implemented: override it`,
    );
  }

  /**
   * Deliver what arrives next to `rawDataReceived`, starting with what is
   * buffered (when called from `lineReceived`: the rest of the chunk).
   *
   * @example Switching to raw mode after a header line
   * ```ts
   * import assert from "node:assert/strict";
   * import { LineReceiver } from "@torsion/protocols";
   *
   * class Header extends LineReceiver {
   *   body = "";
   *   override lineReceived(_line: string): void {
   *     this.setRawMode();
   *   }
   *   override rawDataReceived(data: Uint8Array): void {
   *     this.body += new TextDecoder().decode(data);
   *   }
   * }
   *
   * const header = new Header();
   * header.dataReceived(new TextEncoder().encode("BODY\r\nline\r\nnot a line"));
   * assert.equal(header.body, "line\r\nnot a line");
   * ```
   */
  setRawMode(): void {
    lineDeliveryOf(this).setRawMode();
  }

  /**
   * Deliver what arrives next as lines.
   *
   * @param extra Bytes to parse as lines before anything else, typically the
   * part of the data given to `rawDataReceived` that was not raw.
   *
   * @example Back to lines after a fixed-size body
   * ```ts
   * import assert from "node:assert/strict";
   * import { LineReceiver } from "@torsion/protocols";
   *
   * class Blob extends LineReceiver {
   *   lines: string[] = [];
   *   override lineReceived(line: string): void {
   *     this.lines.push(line);
   *     if (line === "BLOB") this.setRawMode();
   *   }
   *   override rawDataReceived(data: Uint8Array): void {
   *     this.setLineMode(data.subarray(4)); // a 4-byte blob, then lines again
   *   }
   * }
   *
   * const blob = new Blob();
   * blob.dataReceived(new TextEncoder().encode("BLOB\r\n\x00\x01\x02\x03END\r\n"));
   * assert.deepEqual(blob.lines, ["BLOB", "END"]);
   * ```
   */
  setLineMode(extra?: Uint8Array): void {
    lineDeliveryOf(this).setLineMode(extra);
  }
}
