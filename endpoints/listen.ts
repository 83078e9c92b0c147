/**
 * `listen`: serve a factory on an endpoint or a description string
 * (Twisted's `serverFromString(reactor, description).listen(factory)` in one
 * call).
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
 * @throws {TypeError} (as a rejection) When the description is malformed.
 * @throws {Deno.errors.AddrInUse} (as a rejection) When the address is taken.
 * @throws {Deno.errors.NotCapable} (as a rejection) Without `--allow-net`
 *   for the address.
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
 *
 * @example Talking to it, then stopping with an abort signal
 * ```ts
 * import assert from "node:assert/strict";
 * import { Factory, listen, Protocol } from "@torsion/protocols";
 *
 * class Echo extends Protocol {
 *   override dataReceived(data: Uint8Array): void {
 *     this.transport!.write(data);
 *   }
 * }
 * const controller = new AbortController();
 * const port = await listen("tcp:0:interface=127.0.0.1", Factory.forProtocol(Echo), {
 *   signal: controller.signal, // abort: a graceful close, as port.close()
 *   onError: (error) => console.error("echo:", error),
 * });
 *
 * const { port: portNumber } = port.addr as Deno.NetAddr;
 * const conn = await Deno.connect({ hostname: "127.0.0.1", port: portNumber });
 * await conn.write(new TextEncoder().encode("ping"));
 * const reply = new Uint8Array(4);
 * let got = 0;
 * while (got < 4) got += (await conn.read(reply.subarray(got)))!;
 * assert.equal(new TextDecoder().decode(reply), "ping");
 * conn.close();
 *
 * controller.abort();
 * await port.finished;
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
