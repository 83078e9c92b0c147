/**
 * `NetstringReceiver`: a protocol that exchanges netstrings
 * (https://cr.yp.to/proto/netstrings.txt; Twisted's `NetstringReceiver`).
 *
 * A netstring is the payload's length in ASCII decimal, a colon, the
 * payload (any bytes), and a comma:
 *
 * ```text
 * INPUT                                      DECODED (stringReceived)
 * +----+---+--------------+---+
 * | 12 | : | hello world! | , |         -->  "hello world!" (12 bytes)
 * +----+---+--------------+---+
 *  len       payload        end
 *
 * +---+---+---+
 * | 0 | : | , |                         -->  "" (the empty string)
 * +---+---+---+
 *
 * "5:hello,5:world," (one read or many) -->  "hello", "world"
 * "5:hel" then "lo,"                    -->  "hello", once complete
 * ```
 *
 * Refused: each is a `NetstringParseError` handed to `netstringParseError`
 * (default: close the connection), after which nothing more is parsed.
 *
 * ```text
 * INPUT          NetstringParseError message
 * "05:hello,"    Netstring length has a leading zero
 * "+5:hello,"    Netstring does not start with a length: got 0x2b
 * ":hello,"      Netstring is missing its length
 * "5 :hello,"    Netstring length is not followed by a colon: got 0x20
 * "5:hello!"     Netstring is missing its comma: got 0x21
 * "100000:..."   Netstring length exceeds MAX_LENGTH: 100000 > 99999
 *                (at the sixth digit, before any of the payload is read)
 * ```
 *
 * Sending: `sendString("hello")` writes `"5:hello,"` in one write.
 *
 * @example Receiving and sending netstrings
 * ```ts
 * import assert from "node:assert/strict";
 * import { NetstringReceiver } from "@torsion/protocols";
 * import { StringTransport } from "@torsion/protocols/testing";
 *
 * class Shout extends NetstringReceiver {
 *   override stringReceived(data: Uint8Array): void {
 *     this.sendString(new TextDecoder().decode(data).toUpperCase());
 *   }
 * }
 *
 * const transport = new StringTransport();
 * const shout = new Shout();
 * shout.makeConnection(transport);
 * shout.dataReceived(new TextEncoder().encode("5:hello,2:h"));
 * shout.dataReceived(new TextEncoder().encode("i,"));
 * assert.equal(transport.valueText(), "5:HELLO,2:HI,");
 * ```
 *
 * @module
 */

import { FrameDelivery } from "./_frame_delivery.ts";
import { connectedTransport } from "./_framing.ts";
import { NetstringParser, sendNetstring } from "./_netstring_parser.ts";
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
 * import assert from "node:assert/strict";
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
 * assert.equal(transport.valueText(), "5:hello,0:,");
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
   *
   * @example Collecting payloads
   * ```ts
   * import assert from "node:assert/strict";
   * import { NetstringReceiver } from "@torsion/protocols";
   *
   * class Collect extends NetstringReceiver {
   *   payloads: string[] = [];
   *   override stringReceived(data: Uint8Array): void {
   *     this.payloads.push(new TextDecoder().decode(data));
   *   }
   * }
   *
   * const collect = new Collect();
   * collect.dataReceived(new TextEncoder().encode("3:abc,0:,"));
   * assert.deepEqual(collect.payloads, ["abc", ""]);
   * ```
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
   *
   * @example Telling the peer what was wrong before closing
   * ```ts
   * import assert from "node:assert/strict";
   * import { NetstringParseError, NetstringReceiver } from "@torsion/protocols";
   * import { StringTransport } from "@torsion/protocols/testing";
   *
   * class Strict extends NetstringReceiver {
   *   override stringReceived(_data: Uint8Array): void {}
   *   override netstringParseError(error: NetstringParseError): void {
   *     this.sendString(`error: ${error.message}`);
   *     this.transport!.loseConnection();
   *   }
   * }
   *
   * const transport = new StringTransport();
   * const strict = new Strict();
   * strict.makeConnection(transport);
   * strict.dataReceived(new TextEncoder().encode("05:hello,"));
   * assert.equal(transport.valueText(), "42:error: Netstring length has a leading zero,");
   * assert.equal(transport.disconnecting, true);
   * ```
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
   *
   * @example Sending text and bytes
   * ```ts
   * import assert from "node:assert/strict";
   * import { NetstringReceiver } from "@torsion/protocols";
   * import { StringTransport } from "@torsion/protocols/testing";
   *
   * const transport = new StringTransport();
   * const receiver = new NetstringReceiver();
   * receiver.makeConnection(transport);
   * receiver.sendString("hello");
   * receiver.sendString(new Uint8Array(0));
   * assert.equal(transport.valueText(), "5:hello,0:,");
   * ```
   */
  sendString(data: Uint8Array | string): void {
    sendNetstring(connectedTransport(this), data);
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
