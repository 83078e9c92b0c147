/**
 * `WrappingFactory`: a factory that wraps another factory's protocols in
 * `ProtocolWrapper`s: the base of every policy (timeouts, limits,
 * throttling, traffic logs).
 *
 * @module
 */

import type { ClientFactory, Connector } from "../client_factory.ts";
import type { ConnectionClosed } from "../errors.ts";
import { Factory } from "../factory.ts";
import type { Protocol } from "../protocol.ts";
import { ProtocolWrapper } from "./protocol_wrapper.ts";

/**
 * Serves another factory with each of its protocols wrapped in a
 * `ProtocolWrapper` (Twisted's `WrappingFactory`). On its own it changes
 * nothing; subclasses override `wrapProtocol` to use their own wrapper, or
 * `buildProtocol` to refuse connections.
 *
 * - `buildProtocol(addr)` asks the wrapped factory; its `null` refuses the
 *   connection.
 * - The wrapped factory's `startFactory` / `stopFactory` run as they would
 *   if it were served directly (`doStart` / `doStop` are passed on), and so
 *   do a client factory's `startedConnecting`, `clientConnectionFailed`
 *   and `clientConnectionLost`.
 * - `highWaterMark` / `lowWaterMark` are the wrapped factory's unless set on
 *   this one.
 * - `protocols` holds the wrappers whose connection is up.
 *
 * Wrapping factories stack: `new TimeoutFactory(new LimitConnectionsByPeer(f), …)`.
 *
 * @example Wrapping a factory
 * ```ts
 * import { Factory, listen, Protocol, WrappingFactory } from "@torsion/protocols";
 *
 * class Echo extends Protocol {
 *   override dataReceived(data: Uint8Array): void {
 *     this.transport!.write(data);
 *   }
 * }
 * const factory = new WrappingFactory(Factory.forProtocol(Echo));
 * const port = await listen("tcp:0:interface=127.0.0.1", factory);
 * await port.close();
 * ```
 */
export class WrappingFactory extends Factory {
  /** The factory whose protocols are wrapped. */
  readonly wrappedFactory: Factory;
  #protocols = new Set<ProtocolWrapper>();
  #highWaterMark: number | undefined = undefined;
  #lowWaterMark: number | undefined = undefined;

  /**
   * Wrap a factory.
   *
   * @param wrappedFactory The factory that builds the real protocols.
   * @throws {TypeError} When `wrappedFactory` has no `buildProtocol`.
   */
  constructor(wrappedFactory: Factory) {
    super();
    if (typeof wrappedFactory?.buildProtocol !== "function") {
      throw new TypeError(
        "WrappingFactory needs a factory to wrap: got " +
          String(wrappedFactory),
      );
    }
    this.wrappedFactory = wrappedFactory;
    // Factory declares the marks as fields (own properties of each
    // instance): replace them with accessors that fall back to the wrapped
    // factory's, read when each connection is made.
    Object.defineProperties(this, {
      highWaterMark: {
        configurable: true,
        enumerable: true,
        get: (): number | undefined =>
          this.#highWaterMark ?? this.wrappedFactory.highWaterMark,
        set: (value: number | undefined): void => {
          this.#highWaterMark = value;
        },
      },
      lowWaterMark: {
        configurable: true,
        enumerable: true,
        get: (): number | undefined =>
          this.#lowWaterMark ?? this.wrappedFactory.lowWaterMark,
        set: (value: number | undefined): void => {
          this.#lowWaterMark = value;
        },
      },
    });
  }

  /** The wrappers whose connection is up (made and not yet lost). */
  get protocols(): ReadonlySet<ProtocolWrapper> {
    return this.#protocols;
  }

  /**
   * Build the wrapped factory's protocol for this connection and wrap it.
   *
   * @param addr The peer's address.
   * @returns The wrapper, or `null` (the connection is refused) when the
   *   wrapped factory returned `null`.
   */
  override buildProtocol(addr: Deno.Addr): ProtocolWrapper | null {
    const protocol = this.wrappedFactory.buildProtocol(addr);
    if (protocol === null) return null;
    return this.wrapProtocol(protocol, addr);
  }

  /**
   * Make the wrapper of a protocol. Subclasses override this to use their
   * own wrapper class.
   *
   * @param protocol The protocol to wrap.
   * @param _addr The peer's address.
   * @returns The wrapper.
   *
   * @example A policy of your own: count the bytes every connection reads
   * ```ts
   * import assert from "node:assert/strict";
   * import { Factory, Protocol, ProtocolWrapper, WrappingFactory } from "@torsion/protocols";
   * import { StringTransport } from "@torsion/protocols/testing";
   *
   * class CountingFactory extends WrappingFactory {
   *   bytesRead = 0;
   *   override wrapProtocol(protocol: Protocol, _addr: Deno.Addr): ProtocolWrapper {
   *     const factory = this;
   *     return new class extends ProtocolWrapper {
   *       override dataReceived(data: Uint8Array): void {
   *         factory.bytesRead += data.length;
   *         super.dataReceived(data);
   *       }
   *     }(this, protocol);
   *   }
   * }
   *
   * const factory = new CountingFactory(Factory.forProtocol(Protocol));
   * const peer: Deno.NetAddr = { transport: "tcp", hostname: "127.0.0.1", port: 54321 };
   * const wrapper = factory.buildProtocol(peer)!;
   * wrapper.makeConnection(new StringTransport());
   * wrapper.dataReceived(new Uint8Array(5));
   * assert.equal(factory.bytesRead, 5);
   * ```
   */
  wrapProtocol(protocol: Protocol, _addr: Deno.Addr): ProtocolWrapper {
    return new ProtocolWrapper(this, protocol);
  }

  /**
   * Called by a wrapper when its connection is made.
   *
   * @param protocol The wrapper.
   */
  registerProtocol(protocol: ProtocolWrapper): void {
    this.#protocols.add(protocol);
  }

  /**
   * Called by a wrapper when its connection is lost (once per wrapper).
   *
   * @param protocol The wrapper.
   */
  unregisterProtocol(protocol: ProtocolWrapper): void {
    this.#protocols.delete(protocol);
  }

  /** Count one more port, for the wrapped factory too. */
  override doStart(): void {
    this.wrappedFactory.doStart();
    super.doStart();
  }

  /** Count one port less, for the wrapped factory too. */
  override doStop(): void {
    this.wrappedFactory.doStop();
    super.doStop();
  }

  /**
   * A client connection attempt started: passed on to the wrapped factory.
   *
   * @param connector The connection being attempted.
   */
  startedConnecting(connector: Connector): void {
    (this.wrappedFactory as Partial<ClientFactory>).startedConnecting?.(
      connector,
    );
  }

  /**
   * A client connection attempt failed: passed on to the wrapped factory.
   *
   * @param connector The connection that was attempted.
   * @param reason Why it failed.
   */
  clientConnectionFailed(connector: Connector, reason: Error): void {
    (this.wrappedFactory as Partial<ClientFactory>).clientConnectionFailed?.(
      connector,
      reason,
    );
  }

  /**
   * A client connection ended: passed on to the wrapped factory.
   *
   * @param connector The connection that ended.
   * @param reason Why it ended.
   */
  clientConnectionLost(connector: Connector, reason: ConnectionClosed): void {
    (this.wrappedFactory as Partial<ClientFactory>).clientConnectionLost?.(
      connector,
      reason,
    );
  }
}
