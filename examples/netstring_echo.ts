/**
 * Netstring echo: every netstring received is sent back as a netstring
 * (`5:hello,` → `5:hello,`). A malformed netstring closes the connection.
 *
 * Run: `deno run --allow-net=127.0.0.1:8057 examples/netstring_echo.ts [DESCRIPTION ...]`
 * (default `tcp:8057:interface=127.0.0.1`). Talk to it:
 * `printf '5:hello,' | nc -q1 127.0.0.1 8057`.
 *
 * @module
 */

import { Factory } from "../protocols/factory.ts";
import { NetstringReceiver } from "../protocols/netstring_receiver.ts";
import { serve } from "./_serve.ts";

/** Sends each netstring back. */
export class NetstringEcho extends NetstringReceiver {
  /** Echo the payload. */
  override stringReceived(data: Uint8Array): void {
    this.sendString(data);
  }
}

/** The netstring echo service's factory. */
export const factory: Factory<NetstringEcho> = Factory.forProtocol(
  NetstringEcho,
);

/** Where the example listens by default. */
export const defaults: string[] = ["tcp:8057:interface=127.0.0.1"];

if (import.meta.main) await serve([{ factory, defaults }], Deno.args);
