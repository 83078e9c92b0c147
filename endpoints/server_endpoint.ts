/**
 * `ServerEndpoint`: somewhere a factory can be served.
 *
 * @module
 */

import type { Factory } from "../protocols/factory.ts";
import type { ListeningPort, ListenOptions } from "./listening_port.ts";

/**
 * Somewhere to listen: TCP, TLS, a Unix socket (Twisted's
 * `IStreamServerEndpoint`). `serverFromString` makes one from a
 * description; the classes (`TCPServerEndpoint`, `TLSServerEndpoint`,
 * `UNIXServerEndpoint`, `HAProxyServerEndpoint`) take options directly.
 *
 * @example One endpoint, described or built
 * ```ts
 * import { Factory, Protocol, type ServerEndpoint, serverFromString, TCPServerEndpoint } from "@torsion/protocols";
 *
 * const described: ServerEndpoint = serverFromString("tcp:0:interface=127.0.0.1");
 * const built: ServerEndpoint = new TCPServerEndpoint({ port: 0, hostname: "127.0.0.1" });
 * for (const endpoint of [described, built]) {
 *   const port = await endpoint.listen(Factory.forProtocol(Protocol));
 *   await port.close();
 * }
 * ```
 */
export interface ServerEndpoint {
  /**
   * Bind and serve `factory`.
   *
   * @param factory Builds a protocol per connection.
   * @param options Error reporting, cancellation.
   * @returns The listening port, once bound; rejects when the address cannot
   *   be bound (`Deno.errors.AddrInUse`, `Deno.errors.NotCapable`).
   */
  listen(factory: Factory, options?: ListenOptions): Promise<ListeningPort>;
}
