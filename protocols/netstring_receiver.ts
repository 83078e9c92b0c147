/**
 * `NetstringReceiver`: a protocol that exchanges netstrings
 * (https://cr.yp.to/proto/netstrings.txt).
 *
 * ```text
 * "12:hello world!,"
 * +--------+---+---------------------+---+
 * | "12"   | : | 12 bytes of payload | , |
 * +--------+---+---------------------+---+
 *  length: ASCII decimal, no sign, no leading zero ("0:," is the empty string)
 * ```
 *
 * @module
 */

import { FrameDelivery } from "./_frame_delivery.ts";
import { connectedTransport } from "./_framing.ts";
import { encodeNetstring, NetstringParser } from "./_netstring_parser.ts";
import { NetstringParseError } from "./netstring_parse_error.ts";
import { Protocol } from "./protocol.ts";

/**
 * A protocol that receives and sends netstrings (Twisted's
 * `NetstringReceiver`). Override `stringReceived`; send with `sendString`.
 *
 * Received bytes are checked as they arrive: a length that is not a plain
 * decimal number (a sign, a space, a leading zero, no digits at all), a
 * length over `MAX_LENGTH` (refused as soon as its digits pass it, however
 * they are split) or a payload not followed by a comma is a
 * `NetstringParseError`, handed to `netstringParseError` (default: close the
 * connection). After that the connection is not parsed any further: no
 * `stringReceived`, not even for netstrings already received behind the bad
 * one.
 *
 * Once the transport is disconnecting (`loseConnection` was called, by
 * `stringReceived` or anyone else) no more strings are delivered and incoming
 * bytes are dropped, so a request pipelined behind the one that closed the
 * connection is not acted on (as Twisted's line receivers do).
 *
 * `pauseProducing()` holds delivery (and pauses the transport's reading)
 * until `resumeProducing()`, which delivers what arrived meanwhile;
 * `stopProducing()` stops both.
 *
 * @example An echo server for netstrings
 * ```ts
 * import { NetstringReceiver } from "@torsion/protocols";
 * import { StringTransport } from "@torsion/protocols/testing";
 *
 * class NetstringEcho extends NetstringReceiver {
 *   override stringReceived(data: Uint8Array): void {
 *     this.sendString(data);
 *   }
 * }
 * const transport = new StringTransport();
 * const echo = new NetstringEcho();
 * echo.makeConnection(transport);
 * echo.dataReceived(new TextEncoder().encode("5:hello,0:,"));
 * console.log(transport.valueText()); // "5:hello,0:,"
 * ```
 */
export class NetstringReceiver extends Protocol {
  /**
   * The longest payload accepted, in bytes. A longer length is refused while
   * its digits arrive. Read each time bytes are parsed, so it may be changed
   * at any time; it applies to lengths parsed from then on. It must be a
   * non-negative integer (else parsing throws a RangeError).
   */
  MAX_LENGTH = 99999;
  #delivery = new FrameDelivery(
    this,
    () => new NetstringParser(),
    NetstringParseError,
    (error) => this.netstringParseError(error),
  );

  /**
   * Called with each netstring's payload. Override it; the default throws.
   *
   * @param _data The payload, without its framing. It is the receiver's to
   * keep: the library never writes into it.
   * @throws {Error} Unless overridden.
   */
  stringReceived(_data: Uint8Array): void {
    throw new Error(
      "NetstringReceiver.stringReceived is not implemented: override it",
    );
  }

  /**
   * Called once when the received bytes are not a netstring. Parsing has
   * stopped for good; the default closes the connection (`loseConnection`).
   *
   * @param _error What is wrong, e.g. `"Netstring length has a leading zero"`.
   */
  netstringParseError(_error: NetstringParseError): void {
    this.transport?.loseConnection();
  }

  /**
   * Send `data` as one netstring, in one write.
   *
   * @param data The payload (strings are sent as UTF-8).
   * @throws {TypeError} When `data` is neither bytes nor a string.
   * @throws {Error} When the protocol is not connected.
   */
  sendString(data: Uint8Array | string): void {
    connectedTransport(this).write(encodeNetstring(data));
  }

  /**
   * Parse received bytes into netstrings and call `stringReceived` for each.
   *
   * @param data Bytes from the peer.
   */
  override dataReceived(data: Uint8Array): void {
    this.#delivery.feed(data);
  }

  /** Hold delivery of strings and pause the transport's reading. */
  pauseProducing(): void {
    this.#delivery.pause();
  }

  /**
   * Resume the transport's reading and deliver the strings held meanwhile.
   */
  resumeProducing(): void {
    this.#delivery.resume();
  }

  /** Stop delivering strings and stop the transport's reading. */
  stopProducing(): void {
    this.#delivery.stop();
  }
}
