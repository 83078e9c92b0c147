/**
 * A line echo for the loopback benchmark: a `LineReceiver` that sends every
 * line back (as bytes, through `lineBytesReceived`).
 *
 * Run: `deno run --allow-net=127.0.0.1 bench/line_echo_server.ts tcp:0:interface=127.0.0.1`
 *
 * @module
 */

import { Factory } from "../protocols/factory.ts";
import { LineReceiver } from "../protocols/line_receiver.ts";
import { serve } from "../examples/_serve.ts";

/** Sends each line back. */
export class LineEcho extends LineReceiver {
  /** Echo the line, bytes in, bytes out. */
  override lineBytesReceived(line: Uint8Array): void {
    this.sendLine(line);
  }
}

/** The line echo's factory. */
export const factory: Factory<LineEcho> = Factory.forProtocol(LineEcho);

/** Where it listens by default. */
export const defaults: string[] = ["tcp:0:interface=127.0.0.1"];

if (import.meta.main) await serve([{ factory, defaults }], Deno.args);
