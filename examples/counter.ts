/**
 * The welcome counter from the seed tutorial: each connection is greeted with
 * the number of connections open, counted in the factory (state shared by
 * all connections lives there, not in the per-connection protocol, and
 * `connectionLost` uncounts); what is received is echoed.
 *
 * Run it (from the repository root; Ctrl+C stops it, exit status 0):
 *
 * ```sh
 * deno run --allow-net=127.0.0.1:8027 examples/counter.ts
 * # listening on tcp:8027:interface=127.0.0.1
 * ```
 *
 * Other endpoints: pass descriptions (`tcp:0:interface=127.0.0.1`) and
 * widen `--allow-net` to match.
 *
 * Talk to it from two terminals (the second is told there are 2):
 *
 * ```sh
 * nc 127.0.0.1 8027
 * # welcome! there are currently 1 open connections.
 * socat - TCP:127.0.0.1:8027
 * # welcome! there are currently 2 open connections.
 * ```
 *
 * @module
 */

import { Factory } from "../protocols/factory.ts";
import { Protocol } from "../protocols/protocol.ts";
import { serve } from "./_serve.ts";

/** Greets with the open-connection count, then echoes. */
export class Counter extends Protocol {
  /** Count this connection and greet. */
  override connectionMade(): void {
    const factory = this.factory as CounterFactory;
    factory.numProtocols++;
    this.transport!.write(
      `welcome! there are currently ${factory.numProtocols} open connections.\n`,
    );
  }

  /** Echo. */
  override dataReceived(data: Uint8Array): void {
    this.transport!.write(data);
  }

  /** Uncount this connection. */
  override connectionLost(): void {
    (this.factory as CounterFactory).numProtocols--;
  }
}

/** Holds the count of open connections. */
export class CounterFactory extends Factory<Counter> {
  override protocol: new () => Counter = Counter;
  /** Connections open now. */
  numProtocols = 0;
}

/** The counter service's factory. */
export const factory: CounterFactory = new CounterFactory();

/** Where the example listens by default. */
export const defaults: string[] = ["tcp:8027:interface=127.0.0.1"];

if (import.meta.main) await serve([{ factory, defaults }], Deno.args);
