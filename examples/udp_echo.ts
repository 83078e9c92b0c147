/**
 * UDP echo (RFC 862, datagram form): every datagram received is sent back to
 * its sender. Shows `DatagramProtocol` (`datagramReceived(data, addr)`,
 * `transport.write(data, addr)`) on a `udp:` description.
 *
 * Run it (from the repository root; Ctrl+C stops it, exit status 0):
 *
 * ```sh
 * deno run --allow-net=127.0.0.1 examples/udp_echo.ts
 * # listening on udp:8077:interface=127.0.0.1
 * ```
 *
 * `--allow-net=127.0.0.1` rather than `127.0.0.1:8077`: each reply is sent
 * to the sender's own port, which can be any. Datagrams need Deno's
 * unstable `net` API: this package's `deno.json` enables it; elsewhere add
 * `--unstable-net`. Other endpoints: pass descriptions
 * (`udp:0:interface=127.0.0.1`).
 *
 * Talk to it (what you type comes back, one datagram per line):
 *
 * ```sh
 * socat - UDP:127.0.0.1:8077
 * nc -u 127.0.0.1 8077
 * ```
 *
 * @module
 */

import { DatagramProtocol } from "../endpoints/datagram_protocol.ts";
import { serveDatagram } from "./_serve_datagram.ts";

/** Sends every datagram back where it came from. */
export class UDPEcho extends DatagramProtocol {
  /**
   * Echo the datagram to its sender.
   *
   * @param data The datagram.
   * @param addr The sender.
   */
  override datagramReceived(data: Uint8Array, addr: Deno.NetAddr): void {
    this.transport!.write(data, addr);
  }
}

/** Where the example listens by default. */
export const defaults: string[] = ["udp:8077:interface=127.0.0.1"];

if (import.meta.main) {
  await serveDatagram(() => new UDPEcho(), defaults, Deno.args);
}
