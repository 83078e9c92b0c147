/**
 * Netstring echo: every netstring received is sent back as a netstring
 * (`5:hello,` → `5:hello,`). Shows `NetstringReceiver` (`stringReceived`,
 * `sendString`); a malformed netstring closes the connection.
 *
 * ```text
 * +-----+---+-------+---+
 * | "5" | : | hello | , |
 * +-----+---+-------+---+
 * ```
 *
 * Run it (from the repository root; Ctrl+C stops it, exit status 0):
 *
 * ```sh
 * deno run --allow-net=127.0.0.1:8057 examples/netstring_echo.ts
 * # listening on tcp:8057:interface=127.0.0.1
 * ```
 *
 * Other endpoints: pass descriptions (`tcp:0:interface=127.0.0.1`) and
 * widen `--allow-net` to match.
 *
 * Talk to it (prints `5:hello,`; `nc -N` closes its side once the input is
 * sent):
 *
 * ```sh
 * printf '5:hello,' | socat - TCP:127.0.0.1:8057
 * printf '5:hello,' | nc -N 127.0.0.1 8057
 * ```
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
