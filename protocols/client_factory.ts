/**
 * `ClientFactory`: a factory for outgoing connections, told how each
 * attempt goes, and `Connector`, the handle of one connection it is given
 * (Twisted's `ClientFactory` and `IConnector`).
 *
 * ```text
 * connect(endpoint, factory)
 *   startedConnecting(connector)
 *   ├─ failed ─▶ clientConnectionFailed(connector, reason)   (connect rejects)
 *   └─ made ───▶ buildProtocol(addr) ─▶ protocol.connectionMade()   (connect resolves)
 *                  … protocol.connectionLost(reason)
 *                  clientConnectionLost(connector, reason)
 * connector.connect() from either hook: try again (ReconnectingClientFactory)
 * ```
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
 * @example Hearing of each attempt, against a port where nothing listens
 * ```ts
 * import assert from "node:assert/strict";
 * import {
 *   ClientFactory,
 *   type ConnectionClosed,
 *   ConnectionRefusedError,
 *   type Connector,
 *   connect,
 *   Protocol,
 * } from "@torsion/protocols";
 *
 * class Noisy extends ClientFactory {
 *   override protocol = Protocol;
 *   events: string[] = [];
 *   override startedConnecting(_connector: Connector): void {
 *     this.events.push("connecting");
 *   }
 *   override clientConnectionFailed(_connector: Connector, reason: Error): void {
 *     this.events.push(`failed: ${reason.name}`);
 *   }
 *   override clientConnectionLost(_connector: Connector, reason: ConnectionClosed): void {
 *     this.events.push(`lost: ${reason.name}`);
 *   }
 * }
 *
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const { port } = listener.addr;
 * listener.close(); // nothing listens there now
 * const factory = new Noisy();
 * await assert.rejects(connect(`tcp:host=127.0.0.1:port=${port}`, factory), ConnectionRefusedError);
 * assert.deepEqual(factory.events, ["connecting", "failed: ConnectionRefusedError"]);
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
   * @example A client factory for a protocol class
   * ```ts
   * import assert from "node:assert/strict";
   * import { ClientFactory, Protocol } from "@torsion/protocols";
   *
   * class Hello extends Protocol {}
   * const factory = ClientFactory.forProtocol(Hello);
   * assert.ok(factory instanceof ClientFactory);
   * assert.equal(factory.protocol, Hello);
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
   *
   * @example Trying a few times, one second apart
   * ```ts
   * import { ClientFactory, type Connector, Protocol } from "@torsion/protocols";
   *
   * class Persistent extends ClientFactory {
   *   override protocol = Protocol;
   *   failures = 0;
   *   override clientConnectionFailed(connector: Connector, _reason: Error): void {
   *     if (++this.failures < 3) setTimeout(() => connector.connect(), 1000);
   *   }
   * }
   * ```
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
