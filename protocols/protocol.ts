/**
 * `Protocol`: the per-connection handler of events.
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
 * @example An echo protocol (RFC 862)
 * ```ts
 * import { Protocol } from "@torsion/protocols";
 *
 * class Echo extends Protocol {
 *   override dataReceived(data: Uint8Array): void {
 *     this.transport!.write(data);
 *   }
 * }
 * ```
 */
export class Protocol {
  /** The factory that built this protocol; set by `Factory.buildProtocol`. */
  factory: Factory | null = null;
  /** The connection; set by `makeConnection`. */
  transport: Transport | null = null;
  /** True from `makeConnection` until `connectionLost`. */
  connected = false;

  /** Called when the peer half-closes; see the class docs. */
  readConnectionLost?(): void;
  /** Called when the write buffer rises above the transport's high-water mark. */
  bufferFull?(): void;
  /** Called when the write buffer falls to the transport's low-water mark. */
  bufferDrained?(): void;

  /**
   * Attach this protocol to a transport and call `connectionMade`.
   *
   * @param transport The connection.
   */
  makeConnection(transport: Transport): void {
    this.transport = transport;
    this.connected = true;
    this.connectionMade();
  }

  /** The connection is up: greet the peer, start timers. No-op by default. */
  connectionMade(): void {}

  /**
   * Bytes arrived. They are the protocol's to keep: the library never writes
   * into them afterwards. No-op by default.
   *
   * @param _data The bytes, in the order the peer sent them.
   */
  dataReceived(_data: Uint8Array): void {}

  /**
   * The connection is gone; called exactly once. No-op by default.
   *
   * @param _reason Why: `ConnectionDone`, `ConnectionLost` or `ConnectionAborted`.
   */
  connectionLost(_reason: ConnectionClosed): void {}
}
