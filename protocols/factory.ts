/**
 * `Factory`: builds a protocol for each connection and holds what all the
 * connections share (Twisted's `twisted.internet.protocol.Factory`).
 *
 * ```text
 *                   ┌─ buildProtocol(addr) ─▶ Protocol ◀─▶ connection 1
 * listen(…, Factory)┼─ buildProtocol(addr) ─▶ Protocol ◀─▶ connection 2
 *                   └─ …                      (this.factory points back)
 * ```
 *
 * @module
 */

import type { Protocol } from "./protocol.ts";

/**
 * Builds one protocol per accepted connection and keeps the state that must
 * outlive a connection (configuration, counters, the set of chat users). A
 * factory knows nothing of the network: the same one can be served on TCP,
 * TLS and Unix sockets at once.
 *
 * @typeParam P The protocol class this factory builds.
 *
 * @example Shared state in the factory (the seed tutorial's counter)
 * ```ts
 * import assert from "node:assert/strict";
 * import { Factory, Protocol } from "@torsion/protocols";
 * import { StringTransport } from "@torsion/protocols/testing";
 *
 * class Counter extends Protocol {
 *   override connectionMade(): void {
 *     const factory = this.factory as CounterFactory;
 *     factory.numProtocols++;
 *     this.transport!.write(`welcome! there are currently ${factory.numProtocols} open connections.\n`);
 *   }
 *   override connectionLost(): void {
 *     (this.factory as CounterFactory).numProtocols--;
 *   }
 * }
 * class CounterFactory extends Factory<Counter> {
 *   override protocol = Counter;
 *   numProtocols = 0;
 * }
 *
 * const factory = new CounterFactory();
 * const peer: Deno.NetAddr = { transport: "tcp", hostname: "127.0.0.1", port: 5000 };
 * factory.buildProtocol(peer)!.makeConnection(new StringTransport());
 * const transport = new StringTransport();
 * factory.buildProtocol(peer)!.makeConnection(transport);
 * assert.equal(transport.valueText(), "welcome! there are currently 2 open connections.\n");
 * ```
 */
export class Factory<P extends Protocol = Protocol> {
  /** The protocol class `buildProtocol` instantiates; null until set. */
  protocol: (new () => P) | null = null;
  /**
   * Default high-water mark (bytes) of this factory's connections; undefined:
   * the transport's default (64 KiB).
   */
  highWaterMark: number | undefined = undefined;
  /**
   * Default low-water mark (bytes) of this factory's connections; undefined:
   * the transport's default (16 KiB).
   */
  lowWaterMark: number | undefined = undefined;
  /** How many listening ports currently serve this factory. */
  numPorts = 0;

  /**
   * A factory that builds instances of `protocol`.
   *
   * @typeParam P The protocol class.
   * @param protocol The protocol class.
   * @returns A new factory of this class with `protocol` set.
   *
   * @example A factory for a protocol class
   * ```ts
   * import assert from "node:assert/strict";
   * import { Factory, Protocol } from "@torsion/protocols";
   *
   * class Discard extends Protocol {}
   * const factory = Factory.forProtocol(Discard);
   * const peer: Deno.NetAddr = { transport: "tcp", hostname: "127.0.0.1", port: 5000 };
   * assert.ok(factory.buildProtocol(peer) instanceof Discard);
   * ```
   */
  static forProtocol<P extends Protocol>(protocol: new () => P): Factory<P> {
    const factory = new this() as unknown as Factory<P>;
    factory.protocol = protocol;
    return factory;
  }

  /**
   * Make the protocol for a new connection, or refuse it.
   *
   * @param _addr The peer's address.
   * @returns The protocol, with `factory` set; `null` refuses the connection
   *   (it is closed at once).
   * @throws {TypeError} When `protocol` is not set and the method was not overridden.
   *
   * @example Refusing connections from outside the loopback network
   * ```ts
   * import assert from "node:assert/strict";
   * import { Factory, Protocol } from "@torsion/protocols";
   *
   * class LocalOnly extends Factory {
   *   override protocol = Protocol;
   *   override buildProtocol(addr: Deno.Addr): Protocol | null {
   *     const local = addr.transport === "tcp" && addr.hostname.startsWith("127.");
   *     return local ? super.buildProtocol(addr) : null;
   *   }
   * }
   *
   * const factory = new LocalOnly();
   * assert.equal(factory.buildProtocol({ transport: "tcp", hostname: "192.0.2.7", port: 5000 }), null);
   * assert.ok(factory.buildProtocol({ transport: "tcp", hostname: "127.0.0.1", port: 5000 }));
   * ```
   */
  buildProtocol(_addr: Deno.Addr): P | null {
    if (this.protocol === null) {
      throw new TypeError(
        "Factory has no protocol: set factory.protocol or override buildProtocol",
      );
    }
    const protocol = new this.protocol();
    protocol.factory = this as unknown as Factory;
    return protocol;
  }

  /**
   * Called before the first listening port starts serving this factory:
   * open what the connections share (a log, a database). No-op by default.
   *
   * @example Opening and closing a shared resource
   * ```ts
   * import { Factory, Protocol } from "@torsion/protocols";
   *
   * class Logged extends Factory {
   *   override protocol = Protocol;
   *   log: string[] | null = null;
   *   override startFactory(): void {
   *     this.log = [];
   *   }
   *   override stopFactory(): void {
   *     this.log = null;
   *   }
   * }
   * ```
   */
  startFactory(): void {}

  /**
   * Called after the last listening port serving this factory stopped:
   * release what `startFactory` opened. No-op by default.
   */
  stopFactory(): void {}

  /**
   * Count one more port; calls `startFactory` for the first. Listening ports
   * call it; call it yourself only when serving the factory some other way.
   *
   * @example Starting and stopping by hand
   * ```ts
   * import assert from "node:assert/strict";
   * import { Factory, Protocol } from "@torsion/protocols";
   *
   * const factory = Factory.forProtocol(Protocol);
   * factory.doStart();
   * assert.equal(factory.numPorts, 1);
   * factory.doStop();
   * assert.equal(factory.numPorts, 0);
   * ```
   */
  doStart(): void {
    if (this.numPorts++ === 0) this.startFactory();
  }

  /** Count one port less; calls `stopFactory` after the last. */
  doStop(): void {
    if (this.numPorts === 0) return;
    if (--this.numPorts === 0) this.stopFactory();
  }
}
