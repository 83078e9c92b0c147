/**
 * Echo (RFC 862): every byte received is sent back.
 *
 * Run: `deno run --allow-net=127.0.0.1:8007 examples/echo.ts [DESCRIPTION ...]`
 * (default `tcp:8007:interface=127.0.0.1`). Talk to it: `nc 127.0.0.1 8007`,
 * or `socat - TCP:127.0.0.1:8007`.
 *
 * @module
 */

import { Factory } from "../protocols/factory.ts";
import { Protocol } from "../protocols/protocol.ts";
import { serve } from "./_serve.ts";

/** Sends back whatever it receives. */
export class Echo extends Protocol {
  /** Write the bytes back. */
  override dataReceived(data: Uint8Array): void {
    this.transport!.write(data);
  }
}

/** The echo service's factory. */
export const factory: Factory<Echo> = Factory.forProtocol(Echo);

/** Where the example listens by default. */
export const defaults: string[] = ["tcp:8007:interface=127.0.0.1"];

if (import.meta.main) await serve([{ factory, defaults }], Deno.args);
