/**
 * `LimitTotalConnectionsFactory`: at most so many connections at once.
 *
 * @module
 */

import type { Factory } from "../factory.ts";
import type { Protocol } from "../protocol.ts";
import { checkPositive } from "./_checks.ts";
import type { ProtocolWrapper } from "./protocol_wrapper.ts";
import { WrappingFactory } from "./wrapping_factory.ts";

/** Options of `LimitTotalConnectionsFactory`. */
export interface LimitTotalConnectionsOptions {
  /** Connections served at once; null: no limit. Default: null. */
  connectionLimit?: number | null;
  /** Served to connections past the limit; null: they are closed at once. Default: null. */
  overflowProtocol?: (new () => Protocol) | null;
}

/**
 * Serves at most `connectionLimit` connections at once (Twisted's
 * `LimitTotalConnectionsFactory`, wrapping a factory instead of subclassing
 * one). Past the limit a connection is served by `overflowProtocol` (a "too
 * busy" reply, say), or, without one, closed at once. Every connection,
 * overflow ones included, counts in `connectionCount` from `buildProtocol`
 * until its `connectionLost`: exactly once, even when a hook of the wrapped
 * protocol throws.
 *
 * @example The connection past the limit gets the overflow protocol
 * ```ts
 * import assert from "node:assert/strict";
 * import { Factory, LimitTotalConnectionsFactory, Protocol } from "@torsion/protocols";
 * import { StringTransport } from "@torsion/protocols/testing";
 *
 * class Busy extends Protocol {
 *   override connectionMade(): void {
 *     this.transport!.write("busy\r\n");
 *     this.transport!.loseConnection();
 *   }
 * }
 * const factory = new LimitTotalConnectionsFactory(Factory.forProtocol(Protocol), {
 *   connectionLimit: 1,
 *   overflowProtocol: Busy,
 * });
 * const peer: Deno.NetAddr = { transport: "tcp", hostname: "127.0.0.1", port: 54321 };
 * factory.buildProtocol(peer)!.makeConnection(new StringTransport());
 * const second = new StringTransport();
 * factory.buildProtocol(peer)!.makeConnection(second);
 * assert.equal(second.valueText(), "busy\r\n");
 * assert.equal(factory.connectionCount, 2);
 * ```
 *
 * @example At most 100 clients; the 101st is told to come back later
 * ```ts
 * import { Factory, LimitTotalConnectionsFactory, listen, Protocol } from "@torsion/protocols";
 *
 * class Busy extends Protocol {
 *   override connectionMade(): void {
 *     this.transport!.write("421 too busy, try again later\r\n");
 *     this.transport!.loseConnection();
 *   }
 * }
 * const factory = new LimitTotalConnectionsFactory(Factory.forProtocol(Protocol), {
 *   connectionLimit: 100,
 *   overflowProtocol: Busy,
 * });
 * const port = await listen("tcp:0:interface=127.0.0.1", factory);
 * await port.close();
 * ```
 */
export class LimitTotalConnectionsFactory extends WrappingFactory {
  /** Connections served at once; null: no limit. */
  connectionLimit: number | null;
  /** Served past the limit; null: connections past the limit are closed at once. */
  overflowProtocol: (new () => Protocol) | null;
  #counted = new Set<ProtocolWrapper>();

  /**
   * Wrap a factory.
   *
   * @param wrappedFactory The factory that builds the real protocols.
   * @param options `connectionLimit` and `overflowProtocol`.
   * @throws {RangeError} When `connectionLimit` is negative or not finite.
   */
  constructor(
    wrappedFactory: Factory,
    options: LimitTotalConnectionsOptions = {},
  ) {
    super(wrappedFactory);
    const limit = options.connectionLimit ?? null;
    if (limit !== null) checkPositive(limit, "connectionLimit", true);
    this.connectionLimit = limit;
    this.overflowProtocol = options.overflowProtocol ?? null;
  }

  /** Connections counted now: built and not yet lost, overflow ones included. */
  get connectionCount(): number {
    return this.#counted.size;
  }

  /**
   * Serve the connection with the wrapped factory's protocol while under the
   * limit, else with `overflowProtocol`, else refuse it.
   *
   * @param addr The peer's address.
   * @returns The wrapper, or `null` to refuse the connection.
   */
  override buildProtocol(addr: Deno.Addr): ProtocolWrapper | null {
    let protocol: Protocol | null;
    const limit = this.connectionLimit;
    if (limit === null || this.#counted.size < limit) {
      protocol = this.wrappedFactory.buildProtocol(addr);
    } else if (this.overflowProtocol === null) {
      return null;
    } else {
      protocol = new this.overflowProtocol();
      protocol.factory = this;
    }
    if (protocol === null) return null;
    const wrapper = this.wrapProtocol(protocol, addr);
    this.#counted.add(wrapper);
    return wrapper;
  }

  /**
   * A connection was lost: it no longer counts.
   *
   * @param protocol The wrapper.
   */
  override unregisterProtocol(protocol: ProtocolWrapper): void {
    this.#counted.delete(protocol);
    super.unregisterProtocol(protocol);
  }
}
