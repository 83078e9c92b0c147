/**
 * Quote of the Day (RFC 865): a quote on connect, then the connection is
 * closed. Shows state shared in the factory (the rotation of quotes) and
 * `loseConnection`, which flushes the quote before closing (the seed
 * tutorial's QOTD).
 *
 * Run it (from the repository root; Ctrl+C stops it, exit status 0):
 *
 * ```sh
 * deno run --allow-net=127.0.0.1:8017 examples/qotd.ts
 * # listening on tcp:8017:interface=127.0.0.1
 * ```
 *
 * Other endpoints: pass descriptions (`tcp:0:interface=127.0.0.1`) and
 * widen `--allow-net` to match.
 *
 * Talk to it (each connection gets the next quote, then is closed):
 *
 * ```sh
 * nc -d 127.0.0.1 8017
 * socat -u TCP:127.0.0.1:8017 -
 * ```
 *
 * @module
 */

import { Factory } from "../protocols/factory.ts";
import { Protocol } from "../protocols/protocol.ts";
import { serve } from "./_serve.ts";

/** The quotes served, in turn. */
export const quotes: string[] = [
  "An apple a day keeps the doctor away",
  "The best way to predict the future is to invent it (Alan Kay)",
  "Simple things should be simple, complex things should be possible (Alan Kay)",
];

/** Writes a quote and hangs up. */
export class QOTD extends Protocol {
  /** Send the next quote, then close once it is flushed. */
  override connectionMade(): void {
    const factory = this.factory as QOTDFactory;
    this.transport!.write(`${factory.nextQuote()}\r\n`);
    this.transport!.loseConnection();
  }
}

/** Holds the rotation of quotes shared by all connections. */
export class QOTDFactory extends Factory<QOTD> {
  override protocol: new () => QOTD = QOTD;
  #next = 0;

  /** The next quote, round-robin. */
  nextQuote(): string {
    const quote = quotes[this.#next];
    this.#next = (this.#next + 1) % quotes.length;
    return quote;
  }
}

/** The QOTD service's factory. */
export const factory: QOTDFactory = new QOTDFactory();

/** Where the example listens by default. */
export const defaults: string[] = ["tcp:8017:interface=127.0.0.1"];

if (import.meta.main) await serve([{ factory, defaults }], Deno.args);
