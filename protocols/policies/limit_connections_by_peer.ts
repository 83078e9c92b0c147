/**
 * `LimitConnectionsByPeer`: at most so many connections from one host.
 *
 * @module
 */

import type { Factory } from "../factory.ts";
import { checkPositive } from "./_checks.ts";
import { peerKey } from "./_peer_key.ts";
import type { ProtocolWrapper } from "./protocol_wrapper.ts";
import { WrappingFactory } from "./wrapping_factory.ts";

/** Options of `LimitConnectionsByPeer`. */
export interface LimitConnectionsByPeerOptions {
  /** Connections served at once from one host. Default 5. */
  maxConnectionsPerPeer?: number;
}

/**
 * Serves at most `maxConnectionsPerPeer` connections at once from one peer
 * host; more are closed at once (`buildProtocol` returns `null`).
 *
 * Peers are told apart by IP address, whatever their port: an IPv4 client
 * seen through a dual-stack socket (`::ffff:127.0.0.1`) counts as
 * `127.0.0.1`, IPv6 addresses are compared in their canonical form, and all
 * Unix-socket peers count as one. A connection counts from `buildProtocol`
 * until its `connectionLost`, under the key computed when it was built.
 * Twisted's version counts under `addr[0]` but uncounts under
 * `getPeer()[1]`, two different keys, so its counts never go down.
 *
 * @example A host past its limit is refused, another host is not
 * ```ts
 * import assert from "node:assert/strict";
 * import { Factory, LimitConnectionsByPeer, Protocol } from "@torsion/protocols";
 * import { StringTransport } from "@torsion/protocols/testing";
 *
 * const factory = new LimitConnectionsByPeer(Factory.forProtocol(Protocol), {
 *   maxConnectionsPerPeer: 1,
 * });
 * const alice: Deno.NetAddr = { transport: "tcp", hostname: "192.0.2.1", port: 40000 };
 * const bob: Deno.NetAddr = { transport: "tcp", hostname: "192.0.2.2", port: 40000 };
 * factory.buildProtocol(alice)!.makeConnection(new StringTransport());
 * assert.equal(factory.buildProtocol({ ...alice, port: 40001 }), null); // same host
 * assert.ok(factory.buildProtocol(bob));
 * assert.equal(factory.peerConnections.get("192.0.2.1"), 1);
 * ```
 *
 * @example At most 2 connections per client host
 * ```ts
 * import { Factory, LimitConnectionsByPeer, listen, Protocol } from "@torsion/protocols";
 *
 * const factory = new LimitConnectionsByPeer(Factory.forProtocol(Protocol), {
 *   maxConnectionsPerPeer: 2,
 * });
 * const port = await listen("tcp:0:interface=127.0.0.1", factory);
 * await port.close();
 * ```
 */
export class LimitConnectionsByPeer extends WrappingFactory {
  /** Connections served at once from one host. */
  maxConnectionsPerPeer: number;
  #peers = new Map<string, number>();
  #keys = new Map<ProtocolWrapper, string>();

  /**
   * Wrap a factory.
   *
   * @param wrappedFactory The factory that builds the real protocols.
   * @param options `maxConnectionsPerPeer` (default 5).
   * @throws {RangeError} When `maxConnectionsPerPeer` is negative or not finite.
   */
  constructor(
    wrappedFactory: Factory,
    options: LimitConnectionsByPeerOptions = {},
  ) {
    super(wrappedFactory);
    const max = options.maxConnectionsPerPeer ?? 5;
    checkPositive(max, "maxConnectionsPerPeer", true);
    this.maxConnectionsPerPeer = max;
  }

  /**
   * Connections counted now, by peer host (`"127.0.0.1"`, `"::1"`, `"unix"`).
   */
  get peerConnections(): ReadonlyMap<string, number> {
    return this.#peers;
  }

  /**
   * Serve the connection unless its host already has
   * `maxConnectionsPerPeer` connections.
   *
   * @param addr The peer's address.
   * @returns The wrapper, or `null` to refuse the connection.
   */
  override buildProtocol(addr: Deno.Addr): ProtocolWrapper | null {
    const key = peerKey(addr);
    const count = this.#peers.get(key) ?? 0;
    if (count >= this.maxConnectionsPerPeer) return null;
    const wrapper = super.buildProtocol(addr);
    if (wrapper === null) return null;
    this.#peers.set(key, count + 1);
    this.#keys.set(wrapper, key);
    return wrapper;
  }

  /**
   * A connection was lost: it no longer counts for its host.
   *
   * @param protocol The wrapper.
   */
  override unregisterProtocol(protocol: ProtocolWrapper): void {
    const key = this.#keys.get(protocol);
    if (key !== undefined) {
      this.#keys.delete(protocol);
      const count = (this.#peers.get(key) ?? 1) - 1;
      if (count > 0) this.#peers.set(key, count);
      else this.#peers.delete(key);
    }
    super.unregisterProtocol(protocol);
  }
}
