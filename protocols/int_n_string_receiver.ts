/**
 * `IntNStringReceiver` and its three forms, `Int8StringReceiver`,
 * `Int16StringReceiver` and `Int32StringReceiver`: protocols that exchange
 * strings framed by a length prefix (Twisted's `Int8StringReceiver`,
 * `Int16StringReceiver`, `Int32StringReceiver`).
 *
 * Each frame is the payload's length as an unsigned big-endian integer of
 * 1, 2 or 4 bytes, then the payload (any bytes):
 *
 * ```text
 * Int32StringReceiver (prefixLength 4), "hello":
 * INPUT                                 DECODED (stringReceived)
 * +-------------+----------------+
 * | 00 00 00 05 | 68 65 6c 6c 6f |     -->    "hello" (5 bytes)
 * +-------------+----------------+
 *  length (u32)   payload
 *
 * Int16StringReceiver (prefixLength 2):
 * +-------+----------------+
 * | 00 05 | 68 65 6c 6c 6f |           -->    "hello"
 * +-------+----------------+
 *
 * Int8StringReceiver (prefixLength 1), two frames, the second empty:
 * +----+-------+----+
 * | 02 | 68 69 | 00 |                   -->    "hi", ""
 * +----+-------+----+
 *
 * Frames split across reads, or several in one read, are delivered whole,
 * once each, in order.
 * ```
 *
 * Limits:
 *
 * ```text
 * INPUT (Int32)                RESULT
 * 00 01 86 9f + 99999 bytes    stringReceived(99999 bytes)     (MAX_LENGTH)
 * 00 01 86 a0 ...              lengthLimitExceeded(100000), as soon as the
 *                              prefix is complete; nothing more is parsed
 * sendString(256 bytes), Int8  StringTooLongError (a 1-byte prefix holds 255)
 * ```
 *
 * Sending: `sendString("hello")` writes the prefix and the payload in one
 * write.
 *
 * @example An Int32 echo, tested in memory
 * ```ts
 * import assert from "node:assert/strict";
 * import { Int32StringReceiver } from "@torsion/protocols";
 * import { StringTransport } from "@torsion/protocols/testing";
 *
 * class Echo extends Int32StringReceiver {
 *   override stringReceived(data: Uint8Array): void {
 *     this.sendString(data);
 *   }
 * }
 *
 * const transport = new StringTransport();
 * const echo = new Echo();
 * echo.makeConnection(transport);
 * echo.dataReceived(new Uint8Array([0, 0, 0, 2, 0x68]));
 * echo.dataReceived(new Uint8Array([0x69]));
 * assert.deepEqual(transport.value(), new Uint8Array([0, 0, 0, 2, 0x68, 0x69]));
 * ```
 *
 * @module
 */

import { FrameDelivery } from "./_frame_delivery.ts";
import { connectedTransport } from "./_framing.ts";
import { IntNParser, sendIntN } from "./_int_n_parser.ts";
import { LengthLimitExceededError } from "./length_limit_exceeded_error.ts";
import { Protocol } from "./protocol.ts";

/**
 * A protocol that receives and sends length-prefixed strings (Twisted's
 * `IntNStringReceiver`). The prefix size is the `prefixLength` field (1, 2
 * or 4 bytes; Twisted's `structFormat` has no equivalent: the prefix is
 * always unsigned big-endian). Use `Int8StringReceiver`,
 * `Int16StringReceiver` or `Int32StringReceiver`, or set `prefixLength` in
 * a subclass; it is read when the first bytes arrive and must not change
 * afterwards.
 *
 * A prefix announcing more than `MAX_LENGTH` bytes calls
 * `lengthLimitExceeded(length)` (default: close the connection) as soon as
 * the prefix is complete, before any of the payload is buffered, and the
 * connection is not parsed any further: no `stringReceived`, not even for
 * strings already received behind it.
 *
 * Once the transport is disconnecting (`loseConnection` was called, by
 * `stringReceived` or anyone else) no more strings are delivered and incoming
 * bytes are dropped.
 *
 * `pauseProducing()` holds delivery (and pauses the transport's reading)
 * until `resumeProducing()`, which delivers what arrived meanwhile;
 * `stopProducing()` stops both.
 *
 * @example A server answering each string with its length
 * ```ts
 * import assert from "node:assert/strict";
 * import { Int16StringReceiver } from "@torsion/protocols";
 * import { StringTransport } from "@torsion/protocols/testing";
 *
 * class Measure extends Int16StringReceiver {
 *   override stringReceived(data: Uint8Array): void {
 *     this.sendString(String(data.length));
 *   }
 * }
 * const transport = new StringTransport();
 * const measure = new Measure();
 * measure.makeConnection(transport);
 * measure.dataReceived(new Uint8Array([0, 3, 0x61, 0x62, 0x63]));
 * assert.deepEqual(transport.value(), new Uint8Array([0, 1, 0x33])); // "3"
 * ```
 */
export class IntNStringReceiver extends Protocol {
  /**
   * The size of the length prefix in bytes: 1, 2 or 4 (the default, as
   * `Int32StringReceiver`).
   */
  prefixLength: 1 | 2 | 4 = 4;
  /**
   * The longest payload accepted, in bytes. Read each time bytes are
   * parsed, so it may be changed at any time; it applies to prefixes parsed
   * from then on. It does not limit what `sendString` sends. It must be a
   * non-negative integer (else parsing throws a RangeError).
   */
  MAX_LENGTH = 99999;
  #delivery = new FrameDelivery(
    this,
    () => new IntNParser(this.prefixLength, this.MAX_LENGTH),
    LengthLimitExceededError,
    (error) => this.lengthLimitExceeded(error.length),
  );

  /**
   * Called with each string received. Override it; the default throws.
   *
   * @param _data The payload, without its prefix. It is the receiver's to
   * keep: the library never writes into it.
   * @throws {Error} Unless overridden.
   *
   * @example Collecting frames
   * ```ts
   * import assert from "node:assert/strict";
   * import { Int8StringReceiver } from "@torsion/protocols";
   *
   * class Collect extends Int8StringReceiver {
   *   frames: number[] = [];
   *   override stringReceived(data: Uint8Array): void {
   *     this.frames.push(data.length);
   *   }
   * }
   *
   * const collect = new Collect();
   * collect.dataReceived(new Uint8Array([2, 0x68, 0x69, 0]));
   * assert.deepEqual(collect.frames, [2, 0]);
   * ```
   */
  stringReceived(_data: Uint8Array): void {
    throw new Error(
      "IntNStringReceiver.stringReceived is not implemented: override it",
    );
  }

  /**
   * Called once when a prefix announces more than `MAX_LENGTH` bytes.
   * Parsing has stopped for good; the default closes the connection
   * (`loseConnection`).
   *
   * @param _length The length the prefix announced.
   *
   * @example Logging the offender before closing
   * ```ts
   * import assert from "node:assert/strict";
   * import { Int16StringReceiver } from "@torsion/protocols";
   * import { StringTransport } from "@torsion/protocols/testing";
   *
   * class Bounded extends Int16StringReceiver {
   *   override MAX_LENGTH = 1024;
   *   override stringReceived(_data: Uint8Array): void {}
   *   override lengthLimitExceeded(length: number): void {
   *     console.warn(`frame of ${length} bytes refused`);
   *     this.transport!.loseConnection();
   *   }
   * }
   *
   * const transport = new StringTransport();
   * const bounded = new Bounded();
   * bounded.makeConnection(transport);
   * bounded.dataReceived(new Uint8Array([0x10, 0x00])); // 4096 bytes announced
   * assert.equal(transport.disconnecting, true);
   * ```
   */
  lengthLimitExceeded(_length: number): void {
    this.transport?.loseConnection();
  }

  /**
   * Send `data` with its length prefix, in one write. Strings longer than
   * `MAX_LENGTH` may be sent (as in Twisted); only the prefix limits.
   *
   * @param data The payload (strings are sent as UTF-8).
   * @throws {StringTooLongError} When the prefix cannot hold the length
   * (over 255, 65535 or 4294967295 bytes); nothing is written.
   * @throws {TypeError} When `data` is neither bytes nor a string.
   * @throws {Error} When the protocol is not connected.
   *
   * @example Sending, and a string too long for the prefix
   * ```ts
   * import assert from "node:assert/strict";
   * import { Int8StringReceiver, StringTooLongError } from "@torsion/protocols";
   * import { StringTransport } from "@torsion/protocols/testing";
   *
   * const transport = new StringTransport();
   * const receiver = new Int8StringReceiver();
   * receiver.makeConnection(transport);
   * receiver.sendString("hi");
   * assert.deepEqual(transport.value(), new Uint8Array([2, 0x68, 0x69]));
   * assert.throws(() => receiver.sendString(new Uint8Array(256)), StringTooLongError);
   * ```
   */
  sendString(data: Uint8Array | string): void {
    sendIntN(connectedTransport(this), data, this.prefixLength);
  }

  /**
   * Parse received bytes into strings and call `stringReceived` for each.
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

/**
 * Strings framed by a 1-byte length prefix (at most 255 bytes).
 *
 * @example The framing of "foo"
 * ```ts
 * import assert from "node:assert/strict";
 * import { Int8StringReceiver } from "@torsion/protocols";
 * import { StringTransport } from "@torsion/protocols/testing";
 *
 * const transport = new StringTransport();
 * const receiver = new Int8StringReceiver();
 * receiver.makeConnection(transport);
 * receiver.sendString("foo");
 * assert.deepEqual(transport.value(), new Uint8Array([3, 102, 111, 111]));
 * ```
 */
export class Int8StringReceiver extends IntNStringReceiver {
  /** One byte. */
  override prefixLength: 1 | 2 | 4 = 1;
}

/**
 * Strings framed by a 2-byte big-endian length prefix (at most 65535 bytes).
 *
 * @example The framing of "foo"
 * ```ts
 * import assert from "node:assert/strict";
 * import { Int16StringReceiver } from "@torsion/protocols";
 * import { StringTransport } from "@torsion/protocols/testing";
 *
 * const transport = new StringTransport();
 * const receiver = new Int16StringReceiver();
 * receiver.makeConnection(transport);
 * receiver.sendString("foo");
 * assert.deepEqual(transport.value(), new Uint8Array([0, 3, 102, 111, 111]));
 * ```
 */
export class Int16StringReceiver extends IntNStringReceiver {
  /** Two bytes. */
  override prefixLength: 1 | 2 | 4 = 2;
}

/**
 * Strings framed by a 4-byte big-endian length prefix.
 *
 * @example The framing of "foo"
 * ```ts
 * import assert from "node:assert/strict";
 * import { Int32StringReceiver } from "@torsion/protocols";
 * import { StringTransport } from "@torsion/protocols/testing";
 *
 * const transport = new StringTransport();
 * const receiver = new Int32StringReceiver();
 * receiver.makeConnection(transport);
 * receiver.sendString("foo");
 * assert.deepEqual(transport.value(), new Uint8Array([0, 0, 0, 3, 102, 111, 111]));
 * ```
 */
export class Int32StringReceiver extends IntNStringReceiver {
  /** Four bytes. */
  override prefixLength: 1 | 2 | 4 = 4;
}
