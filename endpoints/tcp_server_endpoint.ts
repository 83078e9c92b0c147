/**
 * `TCPServerEndpoint`: listening on TCP over IPv4 or IPv6.
 *
 * @module
 */

import type { Factory } from "../protocols/factory.ts";
import { escapeValue, withPort } from "./_description.ts";
import {
  type ListeningPort,
  type ListenOptions,
  serveListener,
} from "./listening_port.ts";
import type { ServerEndpoint } from "./server_endpoint.ts";

/** Options of `TCPServerEndpoint`. */
export interface TCPServerEndpointOptions {
  /** The port; 0 picks a free one. */
  port: number;
  /** The address to bind. Default `0.0.0.0` (`::` for IPv6). */
  hostname?: string;
  /** Bind IPv6 (`tcp6:`): the default address becomes `::`. */
  ipv6?: boolean;
  /**
   * Pending-connection queue length. Accepted for compatibility with
   * Twisted's descriptions; Deno does not expose it, so it is not applied.
   */
  backlog?: number;
  /** The description this endpoint was parsed from, reported by its ports. */
  description?: string;
}

/** Options of `TCPServerEndpoint.listen`. */
export interface TCPListenOptions extends ListenOptions {
  /**
   * Set `SO_REUSEPORT`: several processes (or listeners) may bind the same
   * address and port, and Linux spreads incoming connections among them.
   * Needs `--unstable-net` (or `"unstable": ["net"]` in `deno.json`).
   * Wrapping endpoints pass it on to the TCP endpoint they wrap.
   */
  reusePort?: boolean;
}

/**
 * Where to listen on TCP (Twisted's `TCP4ServerEndpoint`/`TCP6ServerEndpoint`).
 * `serverFromString("tcp:8007")` makes one. Deno asks for
 * `--allow-net=HOST:PORT` (`0.0.0.0:8007` for `tcp:8007`).
 *
 * @example Listening on a free port of the loopback interface
 * ```ts
 * import assert from "node:assert/strict";
 * import { Factory, Protocol, TCPServerEndpoint } from "@torsion/protocols";
 *
 * const endpoint = new TCPServerEndpoint({ port: 0, hostname: "127.0.0.1" });
 * const port = await endpoint.listen(Factory.forProtocol(Protocol));
 * assert.notEqual((port.addr as Deno.NetAddr).port, 0); // the port picked
 * await port.close();
 * assert.throws(() => new TCPServerEndpoint({ port: 70000 }), RangeError);
 * ```
 */
export class TCPServerEndpoint implements ServerEndpoint {
  /** The options this endpoint binds with. */
  readonly options: TCPServerEndpointOptions;

  /**
   * Describe where to listen.
   *
   * @param options Port, address, IPv6.
   * @throws {RangeError} When the port is not in 0-65535.
   */
  constructor(options: TCPServerEndpointOptions) {
    if (
      !Number.isInteger(options.port) || options.port < 0 ||
      options.port > 65535
    ) {
      throw new RangeError(`Port out of range: ${options.port}`);
    }
    this.options = options;
  }

  /**
   * Bind and serve `factory`.
   *
   * @param factory Builds a protocol per connection.
   * @param options Error reporting, cancellation, `reusePort`.
   * @returns The listening port, once bound; rejects with
   *   `Deno.errors.AddrInUse` when the address is taken.
   * @throws {Deno.errors.AddrInUse} (as a rejection) When the address is taken
   *   (and `reusePort` was not set by every listener on it).
   *
   * @example Two listeners on one port with `reusePort` (Linux)
   * ```ts
   * import { Factory, Protocol, TCPServerEndpoint } from "@torsion/protocols";
   *
   * const factory = Factory.forProtocol(Protocol);
   * const first = await new TCPServerEndpoint({ port: 0, hostname: "127.0.0.1" })
   *   .listen(factory, { reusePort: true });
   * const { port } = first.addr as Deno.NetAddr;
   * const second = await new TCPServerEndpoint({ port, hostname: "127.0.0.1" })
   *   .listen(factory, { reusePort: true }); // the kernel spreads connections
   * await Promise.all([first.close(), second.close()]);
   * ```
   */
  // deno-lint-ignore require-await
  async listen(
    factory: Factory,
    options: TCPListenOptions = {},
  ): Promise<ListeningPort> {
    const { port, ipv6 = false } = this.options;
    const hostname = this.options.hostname ?? (ipv6 ? "::" : "0.0.0.0");
    // Only when asked: the option throws without --unstable-net.
    const listener = Deno.listen({
      port,
      hostname,
      transport: "tcp",
      ...(options.reusePort ? { reusePort: true } : {}),
    });
    const addr = listener.addr as Deno.NetAddr;
    const kind = ipv6 ? "tcp6" : "tcp";
    const text = this.options.description;
    const description = text !== undefined
      ? withPort(text, addr.port)
      : this.options.hostname === undefined
      ? `${kind}:${addr.port}`
      : `${kind}:${addr.port}:interface=${escapeValue(hostname)}`;
    return serveListener(listener, factory, { ...options, description });
  }
}
