/**
 * `TLSClientEndpoint`: connecting over TLS on TCP.
 *
 * @module
 */

import {
  checkDestination,
  checkTimeout,
  closeQuietly,
  DEFAULT_TIMEOUT,
} from "./_client_options.ts";
import type {
  ClientEndpoint,
  DialedConnection,
  DialOptions,
} from "./client_endpoint.ts";
import { ConnectError } from "./connect_error.ts";

/** Options of `TLSClientEndpoint`. */
export interface TLSClientEndpointOptions {
  /** The host name or IP address to connect to. */
  hostname: string;
  /** The port, 1-65535. */
  port: number;
  /**
   * The name the server's certificate must carry, also sent through SNI.
   * Default: `hostname`.
   */
  serverName?: string;
  /** Extra trusted CA certificates, PEM strings (as in `Deno.connectTls`). */
  caCerts?: string[];
  /** Protocols to offer through ALPN, most preferred first. */
  alpnProtocols?: string[];
  /** Seconds to wait for the connection and the handshake. Default 30. */
  timeout?: number;
}

/**
 * Where to connect over TLS (Twisted's `SSL4ClientEndpoint`).
 * `clientFromString("tls:host=H:port=P:caCerts=CA.pem")` makes one. The
 * handshake is part of the attempt: a certificate the client does not trust
 * fails the attempt with a `ConnectError` that says why, before any
 * protocol is built. The negotiated ALPN protocol is the transport's
 * `alpnProtocol`.
 *
 * @example Trusting a private CA (needs a TLS server and its ca.pem)
 * ```ts ignore
 * import {
 *   ClientFactory,
 *   connect,
 *   Protocol,
 *   TLSClientEndpoint,
 * } from "@torsion/protocols";
 *
 * const endpoint = new TLSClientEndpoint({
 *   hostname: "127.0.0.1",
 *   port: 8443,
 *   serverName: "localhost",
 *   caCerts: [await Deno.readTextFile("ca.pem")],
 * });
 * const protocol = await connect(endpoint, ClientFactory.forProtocol(Protocol));
 * ```
 */
export class TLSClientEndpoint implements ClientEndpoint {
  /** The options this endpoint connects with. */
  readonly options: TLSClientEndpointOptions;
  /** Seconds to wait for the connection and the handshake. */
  readonly timeout: number;

  /**
   * Describe where to connect.
   *
   * @param options Host, port, trust, ALPN, timeout.
   * @throws {TypeError} When the host name is empty.
   * @throws {RangeError} When the port is not in 1-65535 or the timeout not above 0.
   */
  constructor(options: TLSClientEndpointOptions) {
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
   * Connect and complete the TLS handshake.
   *
   * @param options `signal`: abort to give up (closes the socket mid-handshake).
   * @returns The TLS connection and the negotiated ALPN protocol; rejects
   *   with a `ConnectError` when the handshake fails.
   * @throws {ConnectError} (as a rejection) When the handshake fails (an
   *   untrusted certificate, a name mismatch).
   */
  async dial(options: DialOptions = {}): Promise<DialedConnection> {
    const { hostname, port, serverName = hostname } = this.options;
    const { signal } = options;
    const tcp = await Deno.connect({ hostname, port, signal });
    let conn: Deno.Conn = tcp;
    const onAbort = (): void => closeQuietly(conn);
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      const tls = await Deno.startTls(tcp, {
        hostname: serverName,
        caCerts: this.options.caCerts,
        alpnProtocols: this.options.alpnProtocols,
      });
      conn = tls;
      if (signal?.aborted) closeQuietly(tls);
      const { alpnProtocol } = await tls.handshake();
      return { conn: tls, alpnProtocol };
    } catch (error) {
      closeQuietly(conn);
      const message = error instanceof Error ? error.message : String(error);
      throw new ConnectError(
        `TLS handshake with ${serverName} failed: ${message}`,
        { cause: error },
      );
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
  }
}
