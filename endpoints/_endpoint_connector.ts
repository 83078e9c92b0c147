// The `Connector` behind `connect`: one endpoint, one factory, one
// connection at a time, and the attempts to make it (Twisted's
// BaseConnector): timeout, cancellation, the factory's client hooks.

import type {
  ClientFactory,
  Connector,
  ConnectorState,
} from "../protocols/client_factory.ts";
import type { ConnectionClosed } from "../protocols/errors.ts";
import type { Factory } from "../protocols/factory.ts";
import type { Protocol } from "../protocols/protocol.ts";
import {
  type DelayedCall,
  type ReactorTime,
  realClock,
} from "../protocols/reactor_time.ts";
import { closeQuietly } from "./_client_options.ts";
import type { ClientEndpoint, DialedConnection } from "./client_endpoint.ts";
import type { ConnectOptions } from "./connect.ts";
import {
  ConnectError,
  ConnectingCancelledError,
  ConnectionRefusedError,
  TimeoutError,
} from "./connect_error.ts";
import { ConnTransport } from "./conn_transport.ts";
import { formatAddr } from "../protocols/_addr.ts";
import { peerAddr } from "./_peer_addr.ts";

/** A factory's client hooks, when it has them (any Factory can connect). */
export type MaybeClientFactory = Factory & Partial<ClientFactory>;

interface Attempt {
  controller: AbortController;
  timer: DelayedCall | null;
}

/** The `Connector` of `connect`. */
export class EndpointConnector implements Connector {
  #state: ConnectorState = "disconnected";
  #stopped = false;
  #endpoint: ClientEndpoint;
  #factory: MaybeClientFactory;
  #options: ConnectOptions;
  #clock: ReactorTime;
  #factoryStarted = false;
  #attempt: Attempt | null = null;
  #transport: ConnTransport | null = null;

  constructor(
    endpoint: ClientEndpoint,
    factory: MaybeClientFactory,
    options: ConnectOptions,
  ) {
    this.#endpoint = endpoint;
    this.#factory = factory;
    this.#options = options;
    this.#clock = options.clock ?? realClock;
    options.signal?.addEventListener("abort", () => {
      this.#stopped = true;
      this.#attempt?.controller.abort(options.signal!.reason);
    }, { once: true });
  }

  get state(): ConnectorState {
    return this.#state;
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  connect(): void {
    if (this.#stopped) return;
    // Failures are the factory's to handle (clientConnectionFailed).
    this.start().catch(() => {});
  }

  stopConnecting(): void {
    if (this.#state !== "connecting") return;
    this.#attempt?.controller.abort(
      new ConnectingCancelledError(
        `Connection attempt cancelled: ${formatAddr(this.getDestination())}`,
      ),
    );
  }

  disconnect(): void {
    if (this.#state === "connecting") this.stopConnecting();
    else if (this.#state === "connected") this.#transport?.loseConnection();
  }

  getDestination(): Deno.Addr {
    return this.#endpoint.getDestination();
  }

  /** One attempt; resolves with the protocol after its connectionMade. */
  start(): Promise<Protocol> {
    if (this.#state !== "disconnected") {
      throw new Error(`Cannot connect: the connector is ${this.#state}`);
    }
    this.#state = "connecting";
    if (!this.#factoryStarted) {
      this.#factoryStarted = true;
      this.#factory.doStart();
    }
    const controller = new AbortController();
    const attempt: Attempt = { controller, timer: null };
    this.#attempt = attempt;
    const timeout = this.#endpoint.timeout;
    if (Number.isFinite(timeout)) {
      attempt.timer = this.#clock.callLater(timeout * 1000, () => {
        attempt.timer = null;
        controller.abort(
          new TimeoutError(
            `Connection timed out after ${timeout} s: ${
              formatAddr(this.getDestination())
            }`,
          ),
        );
      });
    }
    this.#callFactory(() => this.#factory.startedConnecting?.(this));
    return this.#run(attempt);
  }

  async #run(attempt: Attempt): Promise<Protocol> {
    const { signal } = attempt.controller;
    let dialed: DialedConnection;
    try {
      signal.throwIfAborted();
      dialed = await untilAborted(this.#endpoint.dial({ signal }), signal);
      if (signal.aborted) {
        closeQuietly(dialed.conn);
        throw signal.reason;
      }
    } catch (error) {
      throw this.#failed(
        signal.aborted ? signal.reason : this.#connectError(error),
      );
    }
    attempt.timer?.cancel();
    this.#attempt = null;
    this.#state = "connected";
    const { conn } = dialed;
    let protocol: Protocol | null;
    try {
      protocol = this.#factory.buildProtocol(peerAddr(conn));
    } catch (error) {
      closeQuietly(conn);
      this.#report(error);
      throw this.#failed(
        new ConnectError(`buildProtocol failed: ${messageOf(error)}`, {
          cause: error,
        }),
      );
    }
    if (protocol === null) {
      closeQuietly(conn);
      throw this.#failed(
        new ConnectError(
          `Factory refused the connection: buildProtocol returned null for ${
            formatAddr(this.getDestination())
          }`,
        ),
      );
    }
    return this.#serve(dialed, protocol);
  }

  #serve(dialed: DialedConnection, protocol: Protocol): Protocol {
    let starting = true;
    let startError: { error: unknown } | null = null;
    const transport = new ConnTransport(dialed.conn, protocol, {
      onError: (error, p) => {
        if (starting) startError ??= { error };
        this.#report(error, p);
      },
      clock: this.#options.clock,
      highWaterMark: this.#factory.highWaterMark,
      lowWaterMark: this.#factory.lowWaterMark,
      alpnProtocol: dialed.alpnProtocol ?? null,
      tlsHostname: dialed.tlsHostname,
      // As in Twisted: right after the protocol's connectionLost.
      onConnectionLost: (reason) => this.#lost(transport, reason, protocol),
    });
    this.#transport = transport;
    transport.start();
    starting = false;
    if (startError !== null) {
      const { error } = startError;
      throw new ConnectError(`connectionMade failed: ${messageOf(error)}`, {
        cause: error,
      });
    }
    return protocol;
  }

  #lost(
    transport: ConnTransport,
    reason: ConnectionClosed,
    protocol: Protocol,
  ): void {
    if (this.#transport !== transport) return;
    this.#transport = null;
    this.#state = "disconnected";
    this.#callFactory(
      () => this.#factory.clientConnectionLost?.(this, reason),
      protocol,
    );
    this.#stopFactoryIfIdle();
  }

  // The attempt failed: tell the factory, and hand back the reason to reject with.
  #failed(reason: unknown): unknown {
    if (this.#attempt !== null) {
      this.#attempt.timer?.cancel();
      this.#attempt = null;
    }
    this.#state = "disconnected";
    const error = reason instanceof Error ? reason : new ConnectError(
      `Connection failed: ${String(reason)}`,
      { cause: reason },
    );
    this.#callFactory(() =>
      this.#factory.clientConnectionFailed?.(this, error)
    );
    this.#stopFactoryIfIdle();
    return reason;
  }

  // Unless a hook connected again, the factory has no connection left here.
  #stopFactoryIfIdle(): void {
    if (this.#state !== "disconnected" || !this.#factoryStarted) return;
    this.#factoryStarted = false;
    this.#factory.doStop();
  }

  #connectError(error: unknown): Error {
    if (error instanceof ConnectError) return error;
    const where = formatAddr(this.getDestination());
    const message = messageOf(error);
    if (error instanceof Deno.errors.ConnectionRefused) {
      return new ConnectionRefusedError(`Connection refused: ${where}`, {
        cause: error,
      });
    }
    if (error instanceof Deno.errors.TimedOut) {
      return new TimeoutError(`Connection timed out: ${where}`, {
        cause: error,
      });
    }
    return new ConnectError(`Cannot connect to ${where}: ${message}`, {
      cause: error,
    });
  }

  #callFactory(hook: () => void, protocol?: Protocol): void {
    try {
      hook();
    } catch (error) {
      this.#report(error, protocol);
    }
  }

  #report(error: unknown, protocol?: Protocol): void {
    const onError = this.#options.onError;
    try {
      if (onError) onError(error, protocol);
      else console.error("torsion: client hook failed:", error);
    } catch (reportError) {
      console.error("torsion: onError failed:", reportError);
    }
  }
}

// Settle with `promise`, or reject with the signal's reason as soon as it is
// aborted; a connection that arrives after that is closed.
function untilAborted(
  promise: Promise<DialedConnection>,
  signal: AbortSignal,
): Promise<DialedConnection> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (dialed) => {
        signal.removeEventListener("abort", onAbort);
        if (signal.aborted) closeQuietly(dialed.conn);
        else resolve(dialed);
      },
      (error) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
