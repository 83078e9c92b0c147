/**
 * `ListeningPort`: a factory served on a listening socket, and
 * `serveListener` which makes one from any `Deno.Listener`.
 *
 * @module
 */

import type { Factory } from "../protocols/factory.ts";
import type { Protocol } from "../protocols/protocol.ts";
import { type ReactorTime, realClock } from "../protocols/reactor_time.ts";
import { ConnTransport } from "./conn_transport.ts";
import { peerAddr } from "./_peer_addr.ts";

/** Live figures of a listening port: a reference taken once stays current. */
export interface PortMetrics {
  /** Connections open now. */
  connectionsOpen: number;
  /** Connections accepted since the port started. */
  connectionsTotal: number;
  /** Bytes read from peers. */
  bytesReceived: number;
  /** Bytes handed to the operating system for peers. */
  bytesSent: number;
  /** Exceptions thrown by protocol hooks, refused connections that failed, accept errors. */
  errors: number;
}

/** Options of `listen`. */
export interface ListenOptions {
  /** Aborting it closes the port gracefully (as `close()`). */
  signal?: AbortSignal;
  /**
   * Reports an exception thrown by a protocol hook (the connection is
   * aborted) or an error of the port itself. Default: `console.error`.
   */
  onError?: (error: unknown, protocol?: Protocol) => void;
  /** Called with the bound address once the port accepts connections. */
  onListen?: (addr: Deno.Addr) => void;
  /** The clock for close timeouts. Default: real time. */
  clock?: ReactorTime;
}

/** Options of `ListeningPort.close`. */
export interface CloseOptions {
  /**
   * Milliseconds to let connections flush after `loseConnection`; those still
   * open then are aborted. Default 10 000.
   */
  timeout?: number;
}

/**
 * A factory being served on a bound address (Twisted's `IListeningPort`),
 * as `listen` returns it. `await using` closes it gracefully at the end of
 * the scope.
 *
 * @example Serving for the length of a scope
 * ```ts
 * import assert from "node:assert/strict";
 * import { Factory, listen, Protocol } from "@torsion/protocols";
 *
 * {
 *   await using port = await listen("tcp:0:interface=127.0.0.1", Factory.forProtocol(Protocol));
 *   assert.equal(port.connections, 0);
 *   assert.match(port.description, /^tcp:\d+:interface=127\.0\.0\.1$/);
 * } // port.close() ran here
 * ```
 */
export interface ListeningPort extends AsyncDisposable {
  /** The bound address (port 0 resolved to the real port). */
  readonly addr: Deno.Addr;
  /** The description this port was made from, with port 0 resolved. */
  readonly description: string;
  /** Open connections. */
  readonly connections: number;
  /** Live counters. */
  readonly metrics: PortMetrics;
  /** Resolves once the port stopped listening and every connection is closed. */
  readonly finished: Promise<void>;
  /**
   * The bound address.
   *
   * @returns `addr`.
   */
  getHost(): Deno.Addr;
  /**
   * Stop accepting; open connections go on (Twisted's `stopListening`, for
   * a drain before a restart).
   *
   * @returns Resolves once the listening socket is closed.
   *
   * @example Draining: no new connections, and wait for the open ones
   * ```ts
   * import { Factory, listen, Protocol } from "@torsion/protocols";
   *
   * const port = await listen("tcp:0:interface=127.0.0.1", Factory.forProtocol(Protocol));
   * await port.stopListening();
   * await port.finished; // resolves once the last connection has closed
   * ```
   */
  stopListening(): Promise<void>;
  /**
   * Stop accepting, `loseConnection` every connection, abort those still open
   * after `timeout` ms. Calling it again returns the same promise.
   *
   * @param options `timeout` in ms (default 10 000).
   * @returns Resolves once everything is closed.
   *
   * @example A graceful close that gives clients 5 seconds
   * ```ts
   * import assert from "node:assert/strict";
   * import { Factory, listen, Protocol } from "@torsion/protocols";
   *
   * const port = await listen("tcp:0:interface=127.0.0.1", Factory.forProtocol(Protocol));
   * const { port: portNumber } = port.addr as Deno.NetAddr;
   * const conn = await Deno.connect({ hostname: "127.0.0.1", port: portNumber });
   * const closing = port.close({ timeout: 5000 });
   * assert.equal(await conn.read(new Uint8Array(1)), null); // the server closed its side
   * conn.close();
   * await closing;
   * assert.equal(port.connections, 0);
   * ```
   */
  close(options?: CloseOptions): Promise<void>;
}

/** A step run on each accepted connection before its protocol is built. */
export type PrepareConnection = (
  conn: Deno.Conn,
) => Promise<
  { conn: Deno.Conn; peer?: Deno.Addr; alpnProtocol?: string | null }
>;

/** Options of `serveListener`. */
export interface ServeListenerOptions extends ListenOptions {
  /** The description to report; default made from the address. */
  description?: string;
  /** Runs before `buildProtocol`: a TLS handshake, a PROXY header. */
  prepare?: PrepareConnection;
}

const BACKOFF_MIN = 5;
const BACKOFF_MAX = 1000;

function describeAddr(addr: Deno.Addr): string {
  if (addr.transport === "unix" || addr.transport === "unixpacket") {
    return `unix:${addr.path.replaceAll(":", "\\:")}`;
  }
  if (addr.transport === "tcp" || addr.transport === "udp") {
    const host = addr.hostname.replaceAll(":", "\\:");
    return `${addr.transport}:${addr.port}:interface=${host}`;
  }
  return String(addr.transport);
}

/**
 * Serve `factory` on a listener you made yourself (every endpoint ends here).
 * The port owns the listener from now on.
 *
 * @param listener The listener.
 * @param factory Builds a protocol per connection.
 * @param options Error reporting, cancellation, a per-connection preparation step.
 * @returns The listening port.
 *
 * @example Serving a listener made with `Deno.listen`
 * ```ts
 * import assert from "node:assert/strict";
 * import { Factory, Protocol, serveListener } from "@torsion/protocols";
 *
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const port = serveListener(listener, Factory.forProtocol(Protocol), {
 *   description: "my-listener",
 * });
 * assert.equal(port.description, "my-listener");
 * await port.close();
 * ```
 */
export function serveListener(
  listener: Deno.Listener,
  factory: Factory,
  options: ServeListenerOptions = {},
): ListeningPort {
  return new StreamListeningPort(listener, factory, options);
}

class StreamListeningPort implements ListeningPort {
  readonly addr: Deno.Addr;
  readonly description: string;
  readonly metrics: PortMetrics = {
    connectionsOpen: 0,
    connectionsTotal: 0,
    bytesReceived: 0,
    bytesSent: 0,
    errors: 0,
  };
  readonly finished: Promise<void>;
  #listener: Deno.Listener;
  #factory: Factory;
  #options: ServeListenerOptions;
  #clock: ReactorTime;
  #transports = new Set<ConnTransport>();
  #pending = new Set<Deno.Conn>();
  #listening = true;
  #stopped: Promise<void>;
  #closing: Promise<void> | null = null;
  #wakeBackoff: (() => void) | null = null;
  #idle: PromiseWithResolvers<void> | null = null;
  #onAbort = (): void => {
    this.close().catch((error) => this.#report(error));
  };

  constructor(
    listener: Deno.Listener,
    factory: Factory,
    options: ServeListenerOptions,
  ) {
    this.#listener = listener;
    this.#factory = factory;
    this.#options = options;
    this.#clock = options.clock ?? realClock;
    this.addr = listener.addr;
    this.description = options.description ?? describeAddr(listener.addr);
    factory.doStart();
    this.#stopped = this.#acceptLoop();
    this.finished = this.#stopped.then(() => this.#allClosed());
    options.signal?.addEventListener("abort", this.#onAbort, { once: true });
    options.onListen?.(this.addr);
  }

  get connections(): number {
    return this.#transports.size;
  }

  getHost(): Deno.Addr {
    return this.addr;
  }

  stopListening(): Promise<void> {
    if (this.#listening) {
      this.#listening = false;
      this.#options.signal?.removeEventListener("abort", this.#onAbort);
      try {
        this.#listener.close();
      } catch {
        // Already closed.
      }
      this.#wakeBackoff?.();
    }
    return this.#stopped;
  }

  close(options: CloseOptions = {}): Promise<void> {
    this.#closing ??= this.#close(options.timeout ?? 10_000);
    return this.#closing;
  }

  async #close(timeout: number): Promise<void> {
    await this.stopListening();
    for (const conn of this.#pending) conn.close();
    for (const transport of this.#transports) {
      transport.loseConnection({ timeout });
    }
    await this.finished;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #acceptLoop(): Promise<void> {
    try {
      for await (const conn of this.#accepted()) this.#serve(conn);
    } finally {
      this.#factory.doStop();
    }
  }

  // The listener's connections, surviving accept errors (EMFILE and the
  // like) by backing off and trying again.
  async *#accepted(): AsyncGenerator<Deno.Conn> {
    let delay = BACKOFF_MIN;
    while (this.#listening) {
      try {
        yield await this.#listener.accept();
        delay = BACKOFF_MIN;
      } catch (error) {
        if (!this.#listening || error instanceof Deno.errors.BadResource) {
          return;
        }
        // A peer that reset before we accepted it (a health check, a port
        // scan) is not an error of ours: take the next one at once.
        if (
          error instanceof Deno.errors.NotConnected ||
          error instanceof Deno.errors.ConnectionReset ||
          error instanceof Deno.errors.ConnectionAborted
        ) continue;
        this.metrics.errors++;
        this.#report(error);
        await new Promise<void>((resolve) => {
          const call = this.#clock.callLater(delay, resolve);
          this.#wakeBackoff = () => {
            call.cancel();
            resolve();
          };
        });
        this.#wakeBackoff = null;
        delay = Math.min(delay * 2, BACKOFF_MAX);
      }
    }
  }

  async #serve(accepted: Deno.Conn): Promise<void> {
    let conn = accepted;
    let peer: Deno.Addr | undefined;
    let alpnProtocol: string | null | undefined;
    if (this.#options.prepare) {
      this.#pending.add(accepted);
      try {
        ({ conn, peer, alpnProtocol } = await this.#options.prepare(accepted));
      } catch (error) {
        this.#pending.delete(accepted);
        if (this.#closing === null) {
          this.metrics.errors++;
          this.#report(error);
        }
        try {
          accepted.close();
        } catch {
          // Already closed.
        }
        return this.#checkIdle();
      }
      this.#pending.delete(accepted);
      if (this.#closing !== null) {
        conn.close();
        return this.#checkIdle();
      }
    }
    let protocol: Protocol | null;
    try {
      protocol = this.#factory.buildProtocol(peer ?? peerAddr(conn));
    } catch (error) {
      this.metrics.errors++;
      this.#report(error);
      protocol = null;
    }
    if (protocol === null) {
      conn.close();
      return this.#checkIdle();
    }
    const transport = new ConnTransport(conn, protocol, {
      onError: (error, p) => this.#report(error, p),
      onClose: () => this.#forget(transport),
      clock: this.#options.clock,
      highWaterMark: this.#factory.highWaterMark,
      lowWaterMark: this.#factory.lowWaterMark,
      alpnProtocol,
      peer,
      metrics: this.metrics,
    });
    this.#transports.add(transport);
    this.metrics.connectionsOpen++;
    this.metrics.connectionsTotal++;
    transport.start();
  }

  #forget(transport: ConnTransport): void {
    if (!this.#transports.delete(transport)) return;
    this.metrics.connectionsOpen--;
    this.#checkIdle();
  }

  #checkIdle(): void {
    if (this.#transports.size === 0 && this.#pending.size === 0) {
      this.#idle?.resolve();
    }
  }

  async #allClosed(): Promise<void> {
    while (this.#transports.size > 0 || this.#pending.size > 0) {
      this.#idle = Promise.withResolvers();
      await this.#idle.promise;
      this.#idle = null;
    }
  }

  #report(error: unknown, protocol?: Protocol): void {
    const onError = this.#options.onError;
    if (onError) onError(error, protocol);
    else console.error("torsion:", error);
  }
}
