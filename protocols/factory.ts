/**
 * `Factory`: builds a protocol for each connection and holds what all the
 * connections share.
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
 * @example Shared state in the factory
 * ```ts
 * import { Factory, Protocol } from "@torsion/protocols";
 *
 * class Counter extends Protocol {
 *   override connectionMade(): void {
 *     const factory = this.factory as CounterFactory;
 *     factory.numProtocols++;
 *     this.transport!.write(`welcome! there are currently ${factory.numProtocols} open connections.\n`);
 *   }
 * }
 * class CounterFactory extends Factory<Counter> {
 *   override protocol = Counter;
 *   numProtocols = 0;
 * }
 * const factory = new CounterFactory();
 * ```
 */
export class Factory<P extends Protocol = Protocol> {
  /** The protocol class `buildProtocol` instantiates. */
  protocol: (new () => P) | null = null;
  /** Default high-water mark (bytes) of this factory's connections. */
  highWaterMark: number | undefined = undefined;
  /** Default low-water mark (bytes) of this factory's connections. */
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
   * @example
   * ```ts
   * import { Factory, Protocol } from "@torsion/protocols";
   *
   * class Discard extends Protocol {}
   * const factory = Factory.forProtocol(Discard);
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

  /** Called before the first listening port starts serving this factory. */
  startFactory(): void {}

  /** Called after the last listening port serving this factory stopped. */
  stopFactory(): void {}

  /** Count one more port; calls `startFactory` for the first. */
  doStart(): void {
    if (this.numPorts++ === 0) this.startFactory();
  }

  /** Count one port less; calls `stopFactory` after the last. */
  doStop(): void {
    if (this.numPorts === 0) return;
    if (--this.numPorts === 0) this.stopFactory();
  }
}
