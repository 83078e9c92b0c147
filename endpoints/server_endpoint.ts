/**
 * `ServerEndpoint`: somewhere a factory can be served.
 *
 * @module
 */

import type { Factory } from "../protocols/factory.ts";
import type { ListeningPort, ListenOptions } from "./listening_port.ts";

/** Somewhere to listen: TCP, TLS, a Unix socket (Twisted's `IStreamServerEndpoint`). */
export interface ServerEndpoint {
  /**
   * Bind and serve `factory`.
   *
   * @param factory Builds a protocol per connection.
   * @param options Error reporting, cancellation.
   * @returns The listening port, once bound.
   */
  listen(factory: Factory, options?: ListenOptions): Promise<ListeningPort>;
}
