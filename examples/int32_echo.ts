/**
 * Length-prefixed echo: every string received with a 4-byte big-endian
 * length prefix is sent back the same way. A length over `MAX_LENGTH`
 * (99 999) closes the connection.
 *
 * ```text
 * +----------------+---------------------+
 * | length (u32 BE)| length bytes        |
 * +----------------+---------------------+
 * ```
 *
 * Run: `deno run --allow-net=127.0.0.1:8067 examples/int32_echo.ts [DESCRIPTION ...]`
 * (default `tcp:8067:interface=127.0.0.1`). Talk to it:
 * `printf '\0\0\0\5hello' | nc -q1 127.0.0.1 8067 | xxd`.
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
