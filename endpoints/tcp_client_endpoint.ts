/**
 * `TCPClientEndpoint`: connecting over TCP (IPv4 or IPv6).
 *
 * @module
 */

import {
  checkDestination,
  checkTimeout,
  DEFAULT_TIMEOUT,
} from "./_client_options.ts";
import type {
  ClientEndpoint,
  DialedConnection,
  DialOptions,
} from "./client_endpoint.ts";

/** Options of `TCPClientEndpoint`. */
export interface TCPClientEndpointOptions {
  /** The host name or IP address to connect to (`::1` for IPv6, no brackets). */
  hostname: string;
  /** The port, 1-65535. */
  port: number;
  /** Seconds to wait for the connection. Default 30, as in Twisted. */
  timeout?: number;
}

/**
 * Where to connect over TCP (Twisted's `TCP4ClientEndpoint` and
 * `HostnameEndpoint`). `clientFromString("tcp:host=H:port=P")` makes one.
 * Its connections can be upgraded with `transport.startTLS()`. Deno asks
 * for `--allow-net=H:P`.
 *
 * @example Connecting to a local server
 * ```ts
 * import assert from "node:assert/strict";
 * import {
 *   ClientFactory,
 *   connect,
 *   Factory,
 *   listen,
 *   Protocol,
 *   TCPClientEndpoint,
 * } from "@torsion/protocols";
 *
 * await using server = await listen("tcp:0:interface=127.0.0.1", Factory.forProtocol(Protocol));
 * const { port } = server.addr as Deno.NetAddr;
 * const endpoint = new TCPClientEndpoint({ hostname: "127.0.0.1", port, timeout: 5 });
 * const protocol = await connect(endpoint, ClientFactory.forProtocol(Protocol));
 * assert.equal(protocol.connected, true);
 * protocol.transport!.loseConnection();
 * ```
 */
export class TCPClientEndpoint implements ClientEndpoint {
  /** The options this endpoint connects with. */
  readonly options: TCPClientEndpointOptions;
  /** Seconds to wait for the connection. */
  readonly timeout: number;

  /**
   * Describe where to connect.
   *
   * @param options Host, port, timeout.
   * @throws {TypeError} When the host name is empty.
   * @throws {RangeError} When the port is not in 1-65535 or the timeout not above 0.
   */
  constructor(options: TCPClientEndpointOptions) {
    checkDestination(options);
    this.options = options;
    this.timeout = checkTimeout(options.timeout ?? DEFAULT_TIMEOUT);
  }

  /**
   * Where this endpoint connects to.
   *
   * @returns The TCP address.
   */
  getDestination(): Deno.NetAddr {
    const { hostname, port } = this.options;
    return { transport: "tcp", hostname, port };
  }

  /**
   * Open a TCP connection.
   *
   * @param options `signal`: abort to give up.
   * @returns The connection, upgradable with `startTLS`; rejects with
   *   Deno's error (`Deno.errors.ConnectionRefused`, ...) or the signal's
   *   reason.
   */
  async dial(options: DialOptions = {}): Promise<DialedConnection> {
    const { hostname, port } = this.options;
    const conn = await Deno.connect({
      hostname,
      port,
      transport: "tcp",
      signal: options.signal,
    });
    return { conn, tlsHostname: hostname };
  }
}
