/**
 * `HAProxyServerEndpoint`: any TCP or Unix server endpoint behind a proxy
 * that speaks the PROXY protocol (HAProxy's `send-proxy` and
 * `send-proxy-v2`, AWS and GCP load balancers, stunnel, nginx).
 *
 * Each accepted connection's header (v1 text or v2 binary) is read before
 * the factory sees the connection, however the proxy's bytes are split
 * (Twisted #8287), so `buildProtocol(addr)` gets the client's address and
 * `transport.getPeer()` already returns it in `connectionMade` (Twisted
 * #12501). Bytes that came after the header in the same read are the
 * protocol's first `dataReceived`.
 *
 * @module
 */

import type { Factory } from "../protocols/factory.ts";
import { type ReactorTime, realClock } from "../protocols/reactor_time.ts";
import {
  ProxyHeaderParser,
  type ProxyHeaderResult,
} from "./_proxy_protocol.ts";
import { withPort } from "./_description.ts";
import type {
  CloseOptions,
  ListeningPort,
  ListenOptions,
  PortMetrics,
  PrepareConnection,
  ServeListenerOptions,
} from "./listening_port.ts";
import { ProxyProtocolError } from "./proxy_protocol_error.ts";
import { formatAddr } from "../protocols/_addr.ts";
import { peerAddr } from "./_peer_addr.ts";
import type { ServerEndpoint } from "./server_endpoint.ts";
import { TLSServerEndpoint } from "./tls_server_endpoint.ts";

/** The default `headerTimeout`, in milliseconds. */
export const DEFAULT_HEADER_TIMEOUT = 10_000;

// The first read of a `ConnTransport` takes up to 1 KiB, so bytes left over
// from a read this size reach the protocol in one `dataReceived`.
const READ_SIZE = 1024;

/** Options of `HAProxyServerEndpoint`. */
export interface HAProxyServerEndpointOptions {
  /**
   * Milliseconds a connection gets to send its complete header; one that
   * sends nothing, or too little, is then closed. Default 10 000.
   */
  headerTimeout?: number;
  /**
   * The description this endpoint was parsed from (`haproxy:tcp:8007`),
   * reported by its ports with port 0 resolved.
   */
  description?: string;
}

/**
 * A server endpoint whose connections start with a PROXY protocol header
 * (Twisted's `haproxy:` endpoint). `serverFromString("haproxy:tcp:8007")`
 * makes one; any `tcp:`, `tcp6:` or `unix:` description may follow the
 * prefix.
 *
 * - v1 (`PROXY TCP4 ...\r\n`, `TCP6`, `UNKNOWN`) and v2 (binary: `AF_INET`,
 *   `AF_INET6`, `AF_UNIX`; TLVs skipped, a CRC32C one verified) are both
 *   accepted, whichever the connection sends.
 * - `transport.getPeer()` is the client's address from the header and
 *   `transport.getHost()` the address it connected to. A v2 `LOCAL` header
 *   (a proxy's health check), v1 `UNKNOWN` and v2 `AF_UNSPEC` keep the
 *   socket's own addresses.
 * - A malformed or missing header, or none complete within `headerTimeout`,
 *   closes that connection only and is reported through `onError` as a
 *   `ProxyProtocolError`; the factory never sees it.
 *
 * Only proxies you trust may connect: the header says who the client is.
 *
 * TLS is refused (`haproxy:tls:`): the header comes before the TLS
 * handshake, in the clear, but `Deno.listenTls` reads the socket itself and
 * Deno has no server-side `startTls`. Terminate TLS in the proxy, or send
 * PROXY to a `tcp:` endpoint and TLS inside it to another.
 *
 * @example A server behind HAProxy (`server app 127.0.0.1:8007 send-proxy-v2`)
 * ```ts
 * import assert from "node:assert/strict";
 * import { Factory, listen, Protocol } from "@torsion/protocols";
 *
 * class Hello extends Protocol {
 *   override connectionMade(): void {
 *     const peer = this.transport!.getPeer() as Deno.NetAddr;
 *     this.transport!.write(`hello ${peer.hostname}\n`);
 *     this.transport!.loseConnection();
 *   }
 * }
 * await using port = await listen("haproxy:tcp:0:interface=127.0.0.1", Factory.forProtocol(Hello));
 * assert.match(port.description, /^haproxy:tcp:\d+:interface=127\.0\.0\.1$/);
 *
 * // What the proxy does: a PROXY v1 header, then the client's bytes.
 * const { port: portNumber } = port.addr as Deno.NetAddr;
 * const conn = await Deno.connect({ hostname: "127.0.0.1", port: portNumber });
 * await conn.write(new TextEncoder().encode("PROXY TCP4 192.0.2.7 127.0.0.1 56324 8007\r\n"));
 * assert.equal(await new Response(conn.readable).text(), "hello 192.0.2.7\n");
 * ```
 */
export class HAProxyServerEndpoint implements ServerEndpoint {
  /** The endpoint that listens. */
  readonly endpoint: ServerEndpoint;
  /** The options of the PROXY step. */
  readonly options: HAProxyServerEndpointOptions;

  /**
   * Wrap an endpoint.
   *
   * @param endpoint Where to listen: a TCP or Unix endpoint, or any endpoint
   *   that passes `options.prepare` on to `serveListener`.
   * @param options Header timeout, description.
   * @throws {TypeError} For a TLS endpoint, or one already wrapped.
   * @throws {RangeError} When the timeout is not a positive number of
   *   milliseconds.
   */
  constructor(
    endpoint: ServerEndpoint,
    options: HAProxyServerEndpointOptions = {},
  ) {
    if (endpoint instanceof TLSServerEndpoint) {
      throw new TypeError(
        "PROXY protocol over TLS is not supported: the header precedes the TLS handshake, and Deno.listenTls reads the socket itself (terminate TLS in the proxy, or use haproxy:tcp:)",
      );
    }
    if (endpoint instanceof HAProxyServerEndpoint) {
      throw new TypeError(
        "PROXY protocol endpoint wrapped twice: a connection carries one header",
      );
    }
    const timeout = options.headerTimeout;
    if (
      timeout !== undefined &&
      !(Number.isFinite(timeout) && timeout > 0 && timeout < 2 ** 31)
    ) {
      throw new RangeError(`Header timeout out of range: ${timeout}`);
    }
    this.endpoint = endpoint;
    this.options = options;
  }

  /**
   * Bind and serve `factory`.
   *
   * @param factory Builds a protocol per connection, given the client's
   *   address from the header.
   * @param options Error reporting, cancellation, the clock of the header
   *   timeout.
   * @returns The listening port, once bound, whose `description` starts with
   *   `haproxy:`. Rejects as the wrapped endpoint's `listen` does.
   *
   * @example Wrapping an endpoint built in code
   * ```ts
   * import { Factory, HAProxyServerEndpoint, Protocol, TCPServerEndpoint } from "@torsion/protocols";
   *
   * const endpoint = new HAProxyServerEndpoint(
   *   new TCPServerEndpoint({ port: 0, hostname: "127.0.0.1" }),
   *   { headerTimeout: 5000 },
   * );
   * const port = await endpoint.listen(Factory.forProtocol(Protocol), {
   *   onError: (error) => console.warn(error), // bad headers: ProxyProtocolError
   * });
   * await port.close();
   * ```
   */
  async listen(
    factory: Factory,
    options: ListenOptions = {},
  ): Promise<ListeningPort> {
    const timeout = this.options.headerTimeout ?? DEFAULT_HEADER_TIMEOUT;
    const clock = options.clock ?? realClock;
    // The peers this step handed on: a connection whose address is not one
    // of them skipped the step (an endpoint that ignores `prepare`), and is
    // refused rather than served with the proxy's address and header.
    const prepared = new WeakSet<Deno.Addr>();
    const prepare: PrepareConnection = async (conn) => {
      const result = await readHeader(conn, timeout, clock);
      prepared.add(result.peer);
      return result;
    };
    const serveOptions: ServeListenerOptions = { ...options, prepare };
    const port = await this.endpoint.listen(
      guarded(factory, prepared),
      serveOptions,
    );
    return new HAProxyListeningPort(port, this.#describe(port));
  }

  #describe(port: ListeningPort): string {
    const text = this.options.description;
    if (text === undefined) {
      const timeout = this.options.headerTimeout;
      return `haproxy:${port.description}${
        timeout === undefined ? "" : `:headerTimeout=${timeout}`
      }`;
    }
    const colon = text.indexOf(":");
    if (port.addr.transport !== "tcp" || colon === -1) return text;
    return text.slice(0, colon + 1) +
      withPort(text.slice(colon + 1), port.addr.port);
  }
}

function guarded(factory: Factory, prepared: WeakSet<Deno.Addr>): Factory {
  return Object.create(factory, {
    buildProtocol: {
      value: (addr: Deno.Addr) => {
        if (!prepared.has(addr)) {
          throw new TypeError(
            "PROXY protocol header not read: the wrapped endpoint does not pass options.prepare to serveListener",
          );
        }
        return factory.buildProtocol(addr);
      },
    },
    doStart: { value: () => factory.doStart() },
    doStop: { value: () => factory.doStop() },
    highWaterMark: { get: () => factory.highWaterMark },
    lowWaterMark: { get: () => factory.lowWaterMark },
  });
}

// Read the header, or fail after `timeout` ms. On failure the port closes
// the connection, which ends the pending read.
async function readHeader(
  conn: Deno.Conn,
  timeout: number,
  clock: ReactorTime,
): Promise<{ conn: Deno.Conn; peer: Deno.Addr }> {
  const real = conn.remoteAddr;
  const parser: ProxyHeaderParser = new ProxyHeaderParser();
  const expired = Promise.withResolvers<never>();
  const timer = clock.callLater(timeout, () =>
    expired.reject(
      new ProxyProtocolError(
        `PROXY protocol header timed out: ${
          formatAddr(real)
        } sent ${parser.received} bytes and no complete header within ${timeout} ms`,
        { peer: real, timedOut: true },
      ),
    ));
  let buffer = new Uint8Array(0);
  try {
    while (true) {
      if (buffer.length === 0) buffer = new Uint8Array(READ_SIZE);
      const reading = conn.read(buffer);
      // After a timeout the read fails when the port closes the socket.
      reading.catch(() => {});
      const n = await Promise.race([reading, expired.promise]);
      if (n === null) parser.end();
      const result = parser.push(buffer.subarray(0, n));
      buffer = buffer.subarray(n);
      if (result !== null) return accepted(conn, result);
    }
  } catch (error) {
    if (error instanceof ProxyProtocolError && error.timedOut) throw error;
    if (error instanceof ProxyProtocolError) {
      throw new ProxyProtocolError(
        `${error.message} (from ${formatAddr(real)})`,
        { peer: real, cause: error },
      );
    }
    const detail = error instanceof Error ? error.message : String(error);
    throw new ProxyProtocolError(
      `Connection lost before its PROXY protocol header: ${
        formatAddr(real)
      }: ${detail}`,
      { peer: real, cause: error },
    );
  } finally {
    timer.cancel();
  }
}

function accepted(
  conn: Deno.Conn,
  { header, rest }: ProxyHeaderResult,
): { conn: Deno.Conn; peer: Deno.Addr } {
  const { source, destination } = header;
  // A fresh object either way: `guarded` recognises the peers by identity.
  const peer: Deno.Addr = source ?? { ...peerAddr(conn) };
  if (source === null && rest.length === 0) return { conn, peer };
  return { conn: new ProxiedConn(conn, rest, source, destination), peer };
}

// The connection as the protocol sees it: the bytes read past the header
// come first, and the addresses are the header's (when it had some).
class ProxiedConn implements Deno.Conn {
  #conn: Deno.Conn;
  #rest: Uint8Array | null;
  #remote: Deno.Addr | null;
  #local: Deno.Addr | null;
  #readable: ReadableStream<Uint8Array<ArrayBuffer>> | null = null;

  constructor(
    conn: Deno.Conn,
    rest: Uint8Array,
    remote: Deno.Addr | null,
    local: Deno.Addr | null,
  ) {
    this.#conn = conn;
    this.#rest = rest.length > 0 ? rest : null;
    this.#remote = remote;
    this.#local = local;
  }

  get localAddr(): Deno.Addr {
    return this.#local ?? this.#conn.localAddr;
  }

  get remoteAddr(): Deno.Addr {
    return this.#remote ?? this.#conn.remoteAddr;
  }

  read(p: Uint8Array): Promise<number | null> {
    const rest = this.#rest;
    if (rest === null) return this.#conn.read(p);
    const n = Math.min(p.length, rest.length);
    p.set(rest.subarray(0, n));
    this.#rest = n === rest.length ? null : rest.subarray(n);
    return Promise.resolve(n);
  }

  write(p: Uint8Array): Promise<number> {
    return this.#conn.write(p);
  }

  close(): void {
    this.#rest = null;
    this.#conn.close();
  }

  closeWrite(): Promise<void> {
    return this.#conn.closeWrite();
  }

  ref(): void {
    this.#conn.ref();
  }

  unref(): void {
    this.#conn.unref();
  }

  setNoDelay(noDelay?: boolean): void {
    (this.#conn as Partial<Deno.TcpConn>).setNoDelay?.(noDelay);
  }

  setKeepAlive(keepAlive?: boolean): void {
    (this.#conn as Partial<Deno.TcpConn>).setKeepAlive?.(keepAlive);
  }

  get readable(): ReadableStream<Uint8Array<ArrayBuffer>> {
    this.#readable ??= this.#makeReadable();
    return this.#readable;
  }

  get writable(): WritableStream<Uint8Array<ArrayBufferLike>> {
    return this.#conn.writable;
  }

  [Symbol.dispose](): void {
    this.close();
  }

  #makeReadable(): ReadableStream<Uint8Array<ArrayBuffer>> {
    const rest = this.#rest;
    this.#rest = null;
    const inner = this.#conn.readable;
    if (rest === null) return inner;
    let reader: ReadableStreamDefaultReader<Uint8Array<ArrayBuffer>> | null =
      null;
    return new ReadableStream<Uint8Array<ArrayBuffer>>({
      start(controller) {
        controller.enqueue(rest.slice());
      },
      async pull(controller) {
        reader ??= inner.getReader();
        const { value, done } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      },
      cancel(reason) {
        return reader === null ? inner.cancel(reason) : reader.cancel(reason);
      },
    });
  }
}

// The inner port with the `haproxy:` description.
class HAProxyListeningPort implements ListeningPort {
  #port: ListeningPort;
  readonly description: string;

  constructor(port: ListeningPort, description: string) {
    this.#port = port;
    this.description = description;
  }

  get addr(): Deno.Addr {
    return this.#port.addr;
  }

  get connections(): number {
    return this.#port.connections;
  }

  get metrics(): PortMetrics {
    return this.#port.metrics;
  }

  get finished(): Promise<void> {
    return this.#port.finished;
  }

  getHost(): Deno.Addr {
    return this.#port.getHost();
  }

  stopListening(): Promise<void> {
    return this.#port.stopListening();
  }

  close(options?: CloseOptions): Promise<void> {
    return this.#port.close(options);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.#port[Symbol.asyncDispose]();
  }
}
