/**
 * `connect` and `connectProtocol`: run a client factory (or one protocol)
 * over a connection to an endpoint or a description string (Twisted's
 * `endpoint.connect(factory)`, `reactor.connectTCP` and `connectProtocol`),
 * with a Promise instead of a Deferred.
 *
 * @module
 */

import { Factory } from "../protocols/factory.ts";
import type { Protocol } from "../protocols/protocol.ts";
import type { ReactorTime } from "../protocols/reactor_time.ts";
import {
  EndpointConnector,
  type MaybeClientFactory,
} from "./_endpoint_connector.ts";
import type { ClientEndpoint } from "./client_endpoint.ts";
import { clientFromString } from "./client_from_string.ts";

/** Options of `connect` and `connectProtocol`. */
export interface ConnectOptions {
  /**
   * Aborting it cancels the attempt in progress (the promise rejects with
   * the signal's reason, which `clientConnectionFailed` also gets) and stops
   * the connector: it makes no more attempts, so a
   * `ReconnectingClientFactory` stops retrying. An open connection is left
   * alone. A signal already aborted rejects at once, calling no hook.
   */
  signal?: AbortSignal;
  /**
   * Reports an exception thrown by a protocol or factory hook. A protocol
   * hook's exception aborts its connection. Default: `console.error`.
   */
  onError?: (error: unknown, protocol?: Protocol) => void;
  /** The clock of the connect timeout and of the transport's timeouts. */
  clock?: ReactorTime;
}

/**
 * Connect to `endpoint` and run `factory`'s protocol over the connection
 * (Twisted's `endpoint.connect(factory)`, with `ClientFactory`'s hooks).
 *
 * The factory hears `startedConnecting(connector)`, then either
 * `clientConnectionFailed(connector, reason)`, or `buildProtocol` and the
 * protocol's `connectionMade`, and once the connection ends the protocol's
 * `connectionLost` then `clientConnectionLost(connector, reason)`. The
 * connector they get can `connect()` again: that is how
 * `ReconnectingClientFactory` reconnects. Plain TCP connections offer
 * `transport.startTLS()`.
 *
 * @typeParam P The protocol class the factory builds.
 * @param endpoint A description such as `"tcp:host=127.0.0.1:port=8007"`,
 *   or a `ClientEndpoint`.
 * @param factory Builds the protocol; a `ClientFactory` also hears of each attempt.
 * @param options `signal` (cancel), `onError`, `clock`.
 * @returns The protocol, once its `connectionMade` has run. Rejects with a
 *   `TypeError` for a malformed description, a `ConnectionRefusedError`, a
 *   `TimeoutError` after the endpoint's timeout, another `ConnectError` for
 *   other failures (Deno's error is its `cause`), the signal's reason when
 *   aborted, or a `ConnectError` whose `cause` is the hook's exception when
 *   `buildProtocol` or `connectionMade` threw or `buildProtocol` returned null.
 * @throws {TypeError} (as a rejection) When the description is malformed.
 * @throws {ConnectError} (as a rejection) When no connection could be made:
 *   `ConnectionRefusedError`, `TimeoutError`, or a `ConnectError` with
 *   Deno's error as `cause`.
 *
 * @example An echo client
 * ```ts
 * import assert from "node:assert/strict";
 * import { ClientFactory, connect, Factory, listen, Protocol } from "@torsion/protocols";
 *
 * class Echo extends Protocol {
 *   override dataReceived(data: Uint8Array): void {
 *     this.transport!.write(data);
 *   }
 * }
 * class Hello extends Protocol {
 *   reply = Promise.withResolvers<string>();
 *   override connectionMade(): void {
 *     this.transport!.write("hello");
 *   }
 *   override dataReceived(data: Uint8Array): void {
 *     this.reply.resolve(new TextDecoder().decode(data));
 *     this.transport!.loseConnection();
 *   }
 * }
 * await using port = await listen("tcp:0:interface=127.0.0.1", Factory.forProtocol(Echo));
 * const { port: echoPort } = port.addr as Deno.NetAddr;
 * const hello = await connect(
 *   `tcp:host=127.0.0.1:port=${echoPort}`,
 *   ClientFactory.forProtocol(Hello),
 *   { signal: AbortSignal.timeout(5000) }, // give up after 5 s
 * );
 * assert.equal(await hello.reply.promise, "hello");
 * ```
 */
export async function connect<P extends Protocol>(
  endpoint: string | ClientEndpoint,
  factory: Factory<P>,
  options: ConnectOptions = {},
): Promise<P> {
  options.signal?.throwIfAborted();
  const client = typeof endpoint === "string"
    ? clientFromString(endpoint)
    : endpoint;
  const connector = new EndpointConnector(
    client,
    factory as unknown as MaybeClientFactory,
    options,
  );
  return (await connector.start()) as P;
}

/**
 * Connect `protocol` itself to `endpoint` (Twisted's `connectProtocol`): a
 * one-connection `connect` with a factory that hands out this instance.
 *
 * @typeParam P The protocol's class.
 * @param endpoint A description or a `ClientEndpoint`.
 * @param protocol The protocol to connect.
 * @param options `signal` (cancel), `onError`, `clock`.
 * @returns `protocol`, once its `connectionMade` has run; rejects as `connect` does.
 * @throws {TypeError} (as a rejection) When the description is malformed.
 * @throws {ConnectError} (as a rejection) When no connection could be made.
 *
 * @example One protocol instance over a Unix socket
 * ```ts
 * import assert from "node:assert/strict";
 * import { connectProtocol, Factory, listen, Protocol } from "@torsion/protocols";
 *
 * class Echo extends Protocol {
 *   override dataReceived(data: Uint8Array): void {
 *     this.transport!.write(data);
 *   }
 * }
 * class Client extends Protocol {
 *   reply = Promise.withResolvers<string>();
 *   override dataReceived(data: Uint8Array): void {
 *     this.reply.resolve(new TextDecoder().decode(data));
 *     this.transport!.loseConnection();
 *   }
 * }
 *
 * const dir = await Deno.makeTempDir();
 * const server = await listen(`unix:${dir}/echo.sock`, Factory.forProtocol(Echo));
 * const client = await connectProtocol(`unix:${dir}/echo.sock`, new Client());
 * client.transport!.write("hello");
 * assert.equal(await client.reply.promise, "hello");
 * await server.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function connectProtocol<P extends Protocol>(
  endpoint: string | ClientEndpoint,
  protocol: P,
  options: ConnectOptions = {},
): Promise<P> {
  return connect(endpoint, new OneShotFactory(protocol), options);
}

class OneShotFactory<P extends Protocol> extends Factory<P> {
  #protocol: P;
  constructor(protocol: P) {
    super();
    this.#protocol = protocol;
  }

  override buildProtocol(_addr: Deno.Addr): P {
    return this.#protocol;
  }
}
