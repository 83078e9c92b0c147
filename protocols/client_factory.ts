/**
 * `ClientFactory`: a factory for outgoing connections, told how each
 * attempt goes, and `Connector`, the handle of one connection it is given.
 *
 * @module
 */

import type { ConnectionClosed } from "./errors.ts";
import { Factory } from "./factory.ts";
import type { Protocol } from "./protocol.ts";

/**
 * Where a connector stands:
 * - `"disconnected"`: before the first attempt, after a failed one, after
 *   the connection ended;
 * - `"connecting"`: an attempt is in progress;
 * - `"connected"`: the connection is up (its protocol was built).
 */
export type ConnectorState = "disconnected" | "connecting" | "connected";

/**
 * One client connection and the attempts to make it (Twisted's
 * `IConnector`). `connect()` hands one to the factory's hooks; calling its
 * `connect()` from `clientConnectionFailed` or `clientConnectionLost` tries
 * again, to the same endpoint with the same options.
 *
 * @example Trying again once, after a failure
 * ```ts
 * import { ClientFactory, type Connector, Protocol } from "@torsion/protocols";
 *
 * class TryTwice extends ClientFactory {
 *   override protocol = Protocol;
 *   tries = 0;
 *   override clientConnectionFailed(connector: Connector, reason: Error): void {
 *     console.log(`attempt ${++this.tries} failed: ${reason.message}`);
 *     if (this.tries < 2) connector.connect();
 *   }
 * }
 * ```
 */
export interface Connector {
  /** Where this connector stands. */
  readonly state: ConnectorState;
  /**
   * True once the `signal` given to `connect` was aborted: the connector
   * makes no more attempts (`connect()` does nothing), so a factory should
   * not schedule any.
   */
  readonly stopped: boolean;
  /**
   * Start a new attempt (reconnect). `startedConnecting` follows, then
   * `clientConnectionFailed` or the protocol's `connectionMade`.
   *
   * @throws {Error} When an attempt is in progress or the connection is up.
   */
  connect(): void;
  /**
   * Cancel the attempt in progress: it fails with a
   * `ConnectingCancelledError`. Does nothing unless `state` is `"connecting"`.
   */
  stopConnecting(): void;
  /**
   * Whatever the state: cancel the attempt in progress, or close the
   * connection (`loseConnection`) if it is up.
   */
  disconnect(): void;
  /**
   * Where this connector connects to.
   *
   * @returns The address: `tcp` with host name and port, or `unix` with a path.
   */
  getDestination(): Deno.Addr;
}

/**
 * A factory for client connections (Twisted's `ClientFactory`). Besides
 * building the protocol, it hears of each attempt: `startedConnecting`,
 * then `clientConnectionFailed` if no connection was made, or
 * `clientConnectionLost` once an established connection ended (after the
 * protocol's own `connectionLost`). All three do nothing by default.
 *
 * Exceptions thrown by these hooks are reported through `connect`'s
 * `onError` and otherwise ignored.
 *
 * @typeParam P The protocol class this factory builds.
 *
 * @example Logging each attempt
 * ```ts
 * import {
 *   ClientFactory,
 *   type ConnectionClosed,
 *   type Connector,
 *   Protocol,
 * } from "@torsion/protocols";
 *
 * class Noisy extends ClientFactory {
 *   override protocol = Protocol;
 *   override startedConnecting(connector: Connector): void {
 *     console.log("connecting to", connector.getDestination());
 *   }
 *   override clientConnectionFailed(_connector: Connector, reason: Error): void {
 *     console.log("failed:", reason.message);
 *   }
 *   override clientConnectionLost(_connector: Connector, reason: ConnectionClosed): void {
 *     console.log("lost:", reason.name);
 *   }
 * }
 * ```
 */
export class ClientFactory<P extends Protocol = Protocol> extends Factory<P> {
  /**
   * A client factory that builds instances of `protocol`.
   *
   * @typeParam P The protocol class.
   * @param protocol The protocol class.
   * @returns A new factory of this class with `protocol` set.
   *
   * @example
   * ```ts
   * import { ClientFactory, Protocol } from "@torsion/protocols";
   *
   * const factory = ClientFactory.forProtocol(Protocol);
   * ```
   */
  static override forProtocol<P extends Protocol>(
    protocol: new () => P,
  ): ClientFactory<P> {
    const factory = new this() as unknown as ClientFactory<P>;
    factory.protocol = protocol;
    return factory;
  }

  /**
   * An attempt started. `connector.stopConnecting()` cancels it.
   *
   * @param _connector The connection being attempted.
   */
  startedConnecting(_connector: Connector): void {}

  /**
   * The attempt failed: refused, timed out, cancelled, TLS handshake failed.
   * `connector.connect()` tries again.
   *
   * @param _connector The connection that was attempted.
   * @param _reason A `ConnectError` (or subclass), or the abort signal's reason.
   */
  clientConnectionFailed(_connector: Connector, _reason: Error): void {}

  /**
   * An established connection ended; the protocol's `connectionLost` has
   * run. `connector.connect()` connects again.
   *
   * @param _connector The connection that ended.
   * @param _reason Why: `ConnectionDone`, `ConnectionLost` or `ConnectionAborted`.
   */
  clientConnectionLost(
    _connector: Connector,
    _reason: ConnectionClosed,
  ): void {}
}
