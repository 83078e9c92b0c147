/**
 * `listen`: serve a factory on an endpoint or a description string.
 *
 * @module
 */

import type { Factory } from "../protocols/factory.ts";
import type { ListeningPort, ListenOptions } from "./listening_port.ts";
import type { ServerEndpoint } from "./server_endpoint.ts";
import { serverFromString } from "./server_from_string.ts";

/**
 * Serve `factory` on `endpoint` (Twisted's `endpoint.listen(factory)`).
 *
 * @param endpoint A description such as `"tcp:8007"`, or a `ServerEndpoint`.
 * @param factory Builds a protocol per connection.
 * @param options `signal` (abort to close gracefully), `onError`, `onListen`.
 * @returns The listening port, once bound. Rejects with a `TypeError` for a
 *   malformed description, `Deno.errors.AddrInUse` when the address is taken,
 *   the signal's reason when it is already aborted.
 *
 * @example An echo server on a free port
 * ```ts
 * import { Factory, listen, Protocol } from "@torsion/protocols";
 *
 * class Echo extends Protocol {
 *   override dataReceived(data: Uint8Array): void {
 *     this.transport!.write(data);
 *   }
 * }
 * const port = await listen("tcp:0:interface=127.0.0.1", Factory.forProtocol(Echo));
 * console.log(`listening on ${port.description}`);
 * await port.close();
 * ```
 */
export async function listen(
  endpoint: string | ServerEndpoint,
  factory: Factory,
  options: ListenOptions = {},
): Promise<ListeningPort> {
  options.signal?.throwIfAborted();
  const server = typeof endpoint === "string"
    ? serverFromString(endpoint)
    : endpoint;
  return await server.listen(factory, options);
}
