/**
 * `ClientEndpoint`: somewhere a client can connect to.
 *
 * @module
 */

/** Options of `ClientEndpoint.dial`. */
export interface DialOptions {
  /**
   * Aborted when the attempt is given up (timeout, cancellation): stop
   * dialling and reject. `connect` also stops waiting for a dial that
   * ignores it, and closes the connection if it arrives afterwards.
   */
  signal?: AbortSignal;
}

/** A connection opened by `ClientEndpoint.dial`. */
export interface DialedConnection {
  /** The connection; for TLS, with the handshake done. */
  conn: Deno.Conn;
  /** The protocol negotiated through ALPN (TLS), else null. */
  alpnProtocol?: string | null;
  /**
   * Set for plain TCP connections that `transport.startTLS` can upgrade:
   * the server name to verify by default.
   */
  tlsHostname?: string;
}

/**
 * Somewhere to connect to: TCP, TLS, a Unix socket (Twisted's
 * `IStreamClientEndpoint`). `clientFromString` makes one from a
 * description; `connect(endpoint, factory)` uses it. Implement it to connect
 * over something else (a proxy, a test double).
 *
 * @example An endpoint of your own
 * ```ts
 * import type { ClientEndpoint, DialedConnection } from "@torsion/protocols";
 *
 * const local: ClientEndpoint = {
 *   timeout: 5,
 *   getDestination: (): Deno.Addr => ({ transport: "tcp", hostname: "127.0.0.1", port: 8007 }),
 *   dial: async ({ signal } = {}): Promise<DialedConnection> => ({
 *     conn: await Deno.connect({ hostname: "127.0.0.1", port: 8007, signal }),
 *     tlsHostname: "127.0.0.1",
 *   }),
 * };
 * ```
 */
export interface ClientEndpoint {
  /**
   * Seconds to wait for the connection (and the TLS handshake) before the
   * attempt fails with a `TimeoutError`; `Infinity` waits as long as the
   * system does.
   */
  readonly timeout: number;
  /**
   * Where this endpoint connects to.
   *
   * @returns The address: `tcp` with host name and port, or `unix` with a path.
   */
  getDestination(): Deno.Addr;
  /**
   * Open one connection.
   *
   * @param options `signal`: abort to give up.
   * @returns The connection; rejects with Deno's error when it cannot be made.
   *
   * @example Dialling by hand (`connect` does this, and more)
   * ```ts
   * import { clientFromString, Factory, listen, Protocol } from "@torsion/protocols";
   *
   * await using port = await listen("tcp:0:interface=127.0.0.1", Factory.forProtocol(Protocol));
   * const { port: portNumber } = port.addr as Deno.NetAddr;
   * const endpoint = clientFromString(`tcp:host=127.0.0.1:port=${portNumber}`);
   * const { conn } = await endpoint.dial({ signal: AbortSignal.timeout(5000) });
   * conn.close();
   * ```
   */
  dial(options?: DialOptions): Promise<DialedConnection>;
}
