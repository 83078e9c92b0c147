/**
 * `TLSServerEndpoint`: listening on TLS over TCP.
 *
 * Deno's `listenTls` hands out a connection before its handshake is done;
 * the endpoint finishes the handshake (within `handshakeTimeout`) before
 * building the protocol, so `transport.alpnProtocol` is already known in
 * `connectionMade` and a failed handshake never reaches the factory.
 *
 * @module
 */

import type { Factory } from "../protocols/factory.ts";
import { type ReactorTime, realClock } from "../protocols/reactor_time.ts";
import { escapeValue, withPort } from "./_description.ts";
import { formatAddr } from "../protocols/_addr.ts";
import {
  type ListeningPort,
  type ListenOptions,
  serveListener,
} from "./listening_port.ts";
import type { ServerEndpoint } from "./server_endpoint.ts";
import { TLSHandshakeError } from "./tls_handshake_error.ts";

/** The default `handshakeTimeout`, in milliseconds. */
export const DEFAULT_HANDSHAKE_TIMEOUT = 10_000;

/** Options of `TLSServerEndpoint`. */
export interface TLSServerEndpointOptions {
  /** The port; 0 picks a free one. */
  port: number;
  /** The address to bind. Default `0.0.0.0`. */
  hostname?: string;
  /** The certificate chain, PEM (the server's certificate first). */
  cert: string;
  /** The private key, PEM. */
  key: string;
  /** Protocols offered through ALPN, in order of preference. */
  alpnProtocols?: string[];
  /**
   * Milliseconds a peer gets to complete the handshake; a peer that sends
   * nothing, or too little, is then dropped. Default 10 000.
   */
  handshakeTimeout?: number;
  /**
   * Pending-connection queue length. Accepted for compatibility with
   * Twisted's descriptions; Deno does not expose it, so it is not applied.
   */
  backlog?: number;
  /** The description this endpoint was parsed from, reported by its ports. */
  description?: string;
}

/**
 * Where to listen on TLS (Twisted's `SSL4ServerEndpoint`).
 * `serverFromString("tls:8443:certKey=cert.pem:privateKey=key.pem")` makes
 * one from files (reading them needs `--allow-read=cert.pem,key.pem`); this
 * class takes the PEM text itself. Listening needs `--allow-net=HOST:PORT`.
 *
 * A failed handshake (garbage bytes, a client that rejects the certificate)
 * or one that does not finish within `handshakeTimeout` closes that
 * connection only and is reported through `onError` as a
 * `TLSHandshakeError`; the factory never sees it.
 *
 * Known limit: Deno cannot abort a server handshake in progress. After the
 * timeout the port forgets the connection and reports it, but the socket
 * itself is released only when the peer sends something or goes away.
 *
 * @example Listening with a certificate from files (needs cert.pem and key.pem)
 * ```ts ignore
 * import { Factory, Protocol, TLSServerEndpoint } from "@torsion/protocols";
 *
 * const endpoint = new TLSServerEndpoint({
 *   port: 8443,
 *   cert: await Deno.readTextFile("cert.pem"),
 *   key: await Deno.readTextFile("key.pem"),
 *   alpnProtocols: ["h2", "http/1.1"],
 * });
 * const port = await endpoint.listen(Factory.forProtocol(Protocol));
 * await port.close();
 * ```
 */
export class TLSServerEndpoint implements ServerEndpoint {
  /** The options this endpoint binds with. */
  readonly options: TLSServerEndpointOptions;

  /**
   * Describe where to listen.
   *
   * @param options Port, address, certificate, key, ALPN, handshake timeout.
   * @throws {RangeError} When the port is not in 0-65535 or the timeout is
   *   not a positive number of milliseconds.
   * @throws {TypeError} When the certificate or key is empty.
   */
  constructor(options: TLSServerEndpointOptions) {
    if (
      !Number.isInteger(options.port) || options.port < 0 ||
      options.port > 65535
    ) {
      throw new RangeError(`Port out of range: ${options.port}`);
    }
    const timeout = options.handshakeTimeout;
    if (
      timeout !== undefined &&
      !(Number.isFinite(timeout) && timeout > 0 && timeout < 2 ** 31)
    ) {
      throw new RangeError(`Handshake timeout out of range: ${timeout}`);
    }
    if (typeof options.cert !== "string" || options.cert === "") {
      throw new TypeError("TLS certificate missing: cert is empty");
    }
    if (typeof options.key !== "string" || options.key === "") {
      throw new TypeError("TLS private key missing: key is empty");
    }
    this.options = options;
  }

  /**
   * Bind and serve `factory`.
   *
   * @param factory Builds a protocol per connection.
   * @param options Error reporting, cancellation, the clock of the
   *   handshake timeout.
   * @returns The listening port, once bound; rejects with
   *   `Deno.errors.AddrInUse` when the address is taken, and with Deno's
   *   error when the certificate or key cannot be used.
   * @throws {Deno.errors.AddrInUse} (as a rejection) When the address is taken.
   */
  // deno-lint-ignore require-await
  async listen(
    factory: Factory,
    options: ListenOptions = {},
  ): Promise<ListeningPort> {
    const { port, cert, key, alpnProtocols } = this.options;
    const hostname = this.options.hostname ?? "0.0.0.0";
    const listener = Deno.listenTls({
      port,
      hostname,
      cert,
      key,
      alpnProtocols,
      transport: "tcp",
    });
    const addr = listener.addr;
    const text = this.options.description;
    const description = text !== undefined
      ? withPort(text, addr.port)
      : this.options.hostname === undefined
      ? `tls:${addr.port}`
      : `tls:${addr.port}:interface=${escapeValue(hostname)}`;
    const timeout = this.options.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT;
    const clock = options.clock ?? realClock;
    return serveListener(listener, factory, {
      ...options,
      description,
      prepare: (conn) => handshake(conn as Deno.TlsConn, timeout, clock),
    });
  }
}

// Finish the handshake, or fail it after `timeout` ms. On failure the port
// closes the connection, which cancels the pending handshake.
async function handshake(
  conn: Deno.TlsConn,
  timeout: number,
  clock: ReactorTime,
): Promise<{ conn: Deno.Conn; alpnProtocol: string | null }> {
  const peer = conn.remoteAddr;
  const expired = Promise.withResolvers<never>();
  const timer = clock.callLater(timeout, () =>
    expired.reject(
      new TLSHandshakeError(
        `TLS handshake timed out: ${
          formatAddr(peer)
        } did not complete it within ${timeout} ms`,
        { peer, timedOut: true },
      ),
    ));
  try {
    const info = await Promise.race([conn.handshake(), expired.promise]);
    return { conn, alpnProtocol: info.alpnProtocol };
  } catch (error) {
    if (error instanceof TLSHandshakeError) throw error;
    const detail = error instanceof Error ? error.message : String(error);
    throw new TLSHandshakeError(
      `TLS handshake failed: ${formatAddr(peer)}: ${detail}`,
      { peer, cause: error },
    );
  } finally {
    timer.cancel();
  }
}
