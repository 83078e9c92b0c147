/**
 * Echo (RFC 862): every byte received is sent back. The smallest server: a
 * `Protocol` whose `dataReceived` writes the bytes back, served with
 * `Factory.forProtocol` (the seed tutorial's first server).
 *
 * Run it (from the repository root; Ctrl+C stops it, exit status 0):
 *
 * ```sh
 * deno run --allow-net=127.0.0.1:8007 examples/echo.ts
 * # listening on tcp:8007:interface=127.0.0.1
 * ```
 *
 * Other endpoints: pass descriptions, with the permissions they need
 * (port 0 prints the port picked):
 *
 * ```sh
 * deno run --allow-net=127.0.0.1 examples/echo.ts tcp:0:interface=127.0.0.1 tcp:9000:interface=127.0.0.1
 * deno run --allow-net=unix:/tmp/echo.sock --allow-read=/tmp/echo.sock --allow-write=/tmp/echo.sock \
 *   examples/echo.ts unix:/tmp/echo.sock      # then: socat - UNIX-CONNECT:/tmp/echo.sock
 * ```
 *
 * Talk to it (what you type comes back):
 *
 * ```sh
 * nc 127.0.0.1 8007
 * socat - TCP:127.0.0.1:8007
 * deno run --allow-net=127.0.0.1:8007 examples/client.ts   # the torsion client: ping 1, ping 2, ...
 * ```
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
