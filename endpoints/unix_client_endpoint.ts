/**
 * `UNIXClientEndpoint`: connecting to a Unix domain socket.
 *
 * @module
 */

import { checkTimeout, DEFAULT_TIMEOUT } from "./_client_options.ts";
import type {
  ClientEndpoint,
  DialedConnection,
  DialOptions,
} from "./client_endpoint.ts";

/** Options of `UNIXClientEndpoint`. */
export interface UNIXClientEndpointOptions {
  /** The socket file's path. */
  path: string;
  /** Seconds to wait for the connection. Default 30, as in Twisted. */
  timeout?: number;
}

/**
 * Where to connect on a Unix domain socket (Twisted's `UNIXClientEndpoint`).
 * `clientFromString("unix:/run/app.sock")` makes one. Deno asks for
 * `--allow-read=PATH --allow-write=PATH --allow-net=unix:PATH`.
 *
 * @example Connecting to a local Unix socket
 * ```ts
 * import assert from "node:assert/strict";
 * import {
 *   ClientFactory,
 *   connect,
 *   Factory,
 *   listen,
 *   Protocol,
 *   UNIXClientEndpoint,
 * } from "@torsion/protocols";
 *
 * const dir = await Deno.makeTempDir();
 * const path = `${dir}/app.sock`;
 * const server = await listen(`unix:${path}`, Factory.forProtocol(Protocol));
 * const endpoint = new UNIXClientEndpoint({ path });
 * const protocol = await connect(endpoint, ClientFactory.forProtocol(Protocol));
 * assert.equal(protocol.connected, true);
 * await server.close(); // closes the connection too
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class UNIXClientEndpoint implements ClientEndpoint {
  /** The options this endpoint connects with. */
  readonly options: UNIXClientEndpointOptions;
  /** Seconds to wait for the connection. */
  readonly timeout: number;

  /**
   * Describe where to connect.
   *
   * @param options Path, timeout.
   * @throws {TypeError} When the path is empty.
   * @throws {RangeError} When the timeout is not above 0.
   */
  constructor(options: UNIXClientEndpointOptions) {
    if (typeof options.path !== "string" || options.path === "") {
      throw new TypeError(`Invalid socket path: ${options.path}`);
    }
    this.options = options;
    this.timeout = checkTimeout(options.timeout ?? DEFAULT_TIMEOUT);
  }

  /**
   * Where this endpoint connects to.
   *
   * @returns The Unix address.
   */
  getDestination(): Deno.UnixAddr {
    return { transport: "unix", path: this.options.path };
  }

  /**
   * Open a connection to the socket.
   *
   * @param _options `signal` is not needed: connecting to a local socket
   *   does not wait (`connect` stops waiting on abort anyway).
   * @returns The connection.
   */
  async dial(_options: DialOptions = {}): Promise<DialedConnection> {
    const conn = await Deno.connect({
      transport: "unix",
      path: this.options.path,
    });
    return { conn };
  }
}
