/**
 * Length-prefixed echo: every string received with a 4-byte big-endian
 * length prefix is sent back the same way. Shows `Int32StringReceiver`
 * (`stringReceived`, `sendString`); a length over `MAX_LENGTH` (99 999)
 * closes the connection.
 *
 * ```text
 * +-------------+----------------+
 * | 00 00 00 05 | 68 65 6c 6c 6f |   "hello"
 * +-------------+----------------+
 *  length (u32 big-endian), then the payload
 * ```
 *
 * Run it (from the repository root; Ctrl+C stops it, exit status 0):
 *
 * ```sh
 * deno run --allow-net=127.0.0.1:8067 examples/int32_echo.ts
 * # listening on tcp:8067:interface=127.0.0.1
 * ```
 *
 * Other endpoints: pass descriptions (`tcp:0:interface=127.0.0.1`) and
 * widen `--allow-net` to match.
 *
 * Talk to it (the frame comes back: `0000 0005 6865 6c6c 6f  ....hello`):
 *
 * ```sh
 * printf '\0\0\0\5hello' | socat - TCP:127.0.0.1:8067 | xxd
 * printf '\0\0\0\5hello' | nc -N 127.0.0.1 8067 | xxd
 * ```
 *
 * @module
 */

import { Factory } from "../protocols/factory.ts";
import { Int32StringReceiver } from "../protocols/int_n_string_receiver.ts";
import { serve } from "./_serve.ts";

/** Sends each string back. */
export class Int32Echo extends Int32StringReceiver {
  /** Echo the payload. */
  override stringReceived(data: Uint8Array): void {
    this.sendString(data);
  }
}

/** The int32 echo service's factory. */
export const factory: Factory<Int32Echo> = Factory.forProtocol(Int32Echo);

/** Where the example listens by default. */
export const defaults: string[] = ["tcp:8067:interface=127.0.0.1"];

if (import.meta.main) await serve([{ factory, defaults }], Deno.args);
