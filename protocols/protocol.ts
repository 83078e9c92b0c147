/**
 * `Protocol`: the per-connection handler of events (Twisted's
 * `twisted.internet.protocol.Protocol`).
 *
 * The life of a connection, as its protocol sees it:
 *
 * ```text
 * makeConnection(transport)          set by the endpoint, or by a test
 *   └─ connectionMade()              greet, start timers
 * dataReceived(bytes) ...            as the bytes come, chunked at random
 * readConnectionLost()               optional: the peer half-closed
 * bufferFull() / bufferDrained()     optional: write buffer past its marks
 * connectionLost(reason)             exactly once: ConnectionDone / Lost / Aborted
 * ```
 *
 * @module
 */

import type { ConnectionClosed } from "./errors.ts";
import type { Factory } from "./factory.ts";
import type { Transport } from "./transport.ts";

/**
 * Handles one connection: subclass it and override the event hooks. One
 * instance is made per connection (by a `Factory`) and dropped when the
 * connection ends, so state that outlives a connection belongs in the factory.
 *
 * Besides the hooks below a protocol may define:
 * - `readConnectionLost()`: the peer half-closed (sent end-of-stream); the
 *   protocol decides when to close. Without it the connection is closed
 *   (after flushing) and `connectionLost(ConnectionDone)` follows.
 * - `bufferFull()` / `bufferDrained()`: the transport's write buffer crossed
 *   its high-water mark going up / its low-water mark going down.
 *
 * An exception thrown by a hook aborts that connection only and is reported
 * through the listening port's `onError`.
 *
 * @example An echo protocol (RFC 862), served on a free port
 * ```ts
 * import { Factory, listen, Protocol } from "@torsion/protocols";
 *
 * class Echo extends Protocol {
 *   override dataReceived(data: Uint8Array): void {
 *     this.transport!.write(data);
 *   }
 * }
 *
 * await using port = await listen("tcp:0:interface=127.0.0.1", Factory.forProtocol(Echo));
 * console.log(`listening on ${port.description}`);
 * ```
 *
 * @example Unit-testing it with no socket
 * ```ts
 * import assert from "node:assert/strict";
 * import { Protocol } from "@torsion/protocols";
 * import { StringTransport } from "@torsion/protocols/testing";
 *
 * class Echo extends Protocol {
 *   override dataReceived(data: Uint8Array): void {
 *     this.transport!.write(data);
 *   }
 * }
 *
 * const transport = new StringTransport();
 * const echo = new Echo();
 * echo.makeConnection(transport);
 * echo.dataReceived(new TextEncoder().encode("hello"));
 * assert.equal(transport.valueText(), "hello");
 * ```
 */
export class Protocol {
  /** The factory that built this protocol; set by `Factory.buildProtocol`. */
  factory: Factory | null = null;
  /** The connection; set by `makeConnection`. */
  transport: Transport | null = null;
  /** True from `makeConnection` until `connectionLost`. */
  connected = false;

  /**
   * Called when the peer half-closes (sends end-of-stream but keeps reading:
   * Twisted's `IHalfCloseableProtocol.readConnectionLost`). Define it to
   * answer after the request has ended, then close when done; without it
   * the transport flushes what was written and closes the connection.
   *
   * @example Answering once the peer has sent everything
   * ```ts
   * import assert from "node:assert/strict";
   * import { Protocol } from "@torsion/protocols";
   * import { connectedPair } from "@torsion/protocols/testing";
   *
   * class ByteCounter extends Protocol {
   *   total = 0;
   *   override dataReceived(data: Uint8Array): void {
   *     this.total += data.length;
   *   }
   *   override readConnectionLost(): void {
   *     this.transport!.write(`${this.total} bytes\n`);
   *     this.transport!.loseConnection();
   *   }
   * }
   * class Client extends Protocol {
   *   reply = "";
   *   override connectionMade(): void {
   *     this.transport!.write("hello");
   *     this.transport!.loseWriteConnection(); // end-of-stream, keep reading
   *   }
   *   override dataReceived(data: Uint8Array): void {
   *     this.reply += new TextDecoder().decode(data);
   *   }
   * }
   *
   * const pair = connectedPair(new ByteCounter(), new Client());
   * pair.flush();
   * assert.equal(pair.client.reply, "5 bytes\n");
   * ```
   */
  readConnectionLost?(): void;
  /**
   * Called when the write buffer rises above the transport's high-water mark
   * (`transport.highWaterMark`, 64 KiB by default): stop writing until
   * `bufferDrained()`.
   *
   * @example Pausing a source while the peer is slow
   * ```ts
   * import { Protocol } from "@torsion/protocols";
   *
   * class Firehose extends Protocol {
   *   paused = false;
   *   override bufferFull(): void {
   *     this.paused = true;
   *   }
   *   override bufferDrained(): void {
   *     this.paused = false;
   *   }
   * }
   * ```
   */
  bufferFull?(): void;
  /**
   * Called when the write buffer falls to the transport's low-water mark
   * (`transport.lowWaterMark`, 16 KiB by default) after `bufferFull()`:
   * writing may go on.
   */
  bufferDrained?(): void;

  /**
   * Attach this protocol to a transport and call `connectionMade`. The
   * endpoints call it; a test calls it with a `StringTransport`.
   *
   * @param transport The connection.
   *
   * @example Connecting a protocol to an in-memory transport
   * ```ts
   * import assert from "node:assert/strict";
   * import { Protocol } from "@torsion/protocols";
   * import { StringTransport } from "@torsion/protocols/testing";
   *
   * const protocol = new Protocol();
   * const transport = new StringTransport();
   * protocol.makeConnection(transport);
   * assert.equal(protocol.transport, transport);
   * assert.equal(protocol.connected, true);
   * ```
   */
  makeConnection(transport: Transport): void {
    this.transport = transport;
    this.connected = true;
    this.connectionMade();
  }

  /**
   * The connection is up: greet the peer, start timers. No-op by default.
   *
   * @example A greeting
   * ```ts
   * import assert from "node:assert/strict";
   * import { Protocol } from "@torsion/protocols";
   * import { StringTransport } from "@torsion/protocols/testing";
   *
   * class Greeter extends Protocol {
   *   override connectionMade(): void {
   *     this.transport!.write("220 ready\r\n");
   *   }
   * }
   *
   * const transport = new StringTransport();
   * new Greeter().makeConnection(transport);
   * assert.equal(transport.valueText(), "220 ready\r\n");
   * ```
   */
  connectionMade(): void {}

  /**
   * Bytes arrived. They are the protocol's to keep: the library never writes
   * into them afterwards. No-op by default. A small chunk is a view into a
   * buffer it shares with other chunks (`data.buffer` is larger than
   * `data`): read it, keep it, but do not transfer or detach that buffer
   * (`ArrayBuffer.prototype.transfer`, `postMessage` with a transfer list);
   * copy with `data.slice()` first.
   *
   * TCP is a stream: a message may arrive split over several calls, or
   * several messages in one call. Use a framing (`LineReceiver`,
   * `NetstringReceiver`, `Int32StringReceiver`) to get whole messages.
   *
   * @param _data The bytes, in the order the peer sent them.
   *
   * @example Counting bytes, however they are chunked
   * ```ts
   * import assert from "node:assert/strict";
   * import { Protocol } from "@torsion/protocols";
   *
   * class Counter extends Protocol {
   *   received = 0;
   *   override dataReceived(data: Uint8Array): void {
   *     this.received += data.length;
   *   }
   * }
   *
   * const counter = new Counter();
   * counter.dataReceived(new Uint8Array(3));
   * counter.dataReceived(new Uint8Array(4));
   * assert.equal(counter.received, 7);
   * ```
   */
  dataReceived(_data: Uint8Array): void {}

  /**
   * The connection is gone; called exactly once. No-op by default. Cancel
   * timers and release what the connection held here.
   *
   * @param _reason Why: `ConnectionDone`, `ConnectionLost` or `ConnectionAborted`.
   *
   * @example Telling a clean close from a failure
   * ```ts
   * import { type ConnectionClosed, ConnectionDone, Protocol } from "@torsion/protocols";
   *
   * class Session extends Protocol {
   *   override connectionLost(reason: ConnectionClosed): void {
   *     if (!(reason instanceof ConnectionDone)) console.warn("lost:", reason.message);
   *   }
   * }
   * ```
   */
  connectionLost(_reason: ConnectionClosed): void {}
}
