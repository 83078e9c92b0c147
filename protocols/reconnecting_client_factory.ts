/**
 * `ReconnectingClientFactory`: a client factory that connects again, with
 * exponential back-off, whenever a connection fails or ends.
 *
 * @module
 */

import { ClientFactory, type Connector } from "./client_factory.ts";
import type { ConnectionClosed } from "./errors.ts";
import type { Protocol } from "./protocol.ts";
import {
  type DelayedCall,
  type ReactorTime,
  realClock,
} from "./reactor_time.ts";

/**
 * Reconnects with exponential back-off (Twisted's
 * `ReconnectingClientFactory`), with Twisted's defaults and algorithm. Each
 * failed attempt or lost connection schedules the next attempt after
 *
 * ```text
 * delay = min(delay * factor, maxDelay)              // seconds
 * delay = delay * (1 + jitter * z)                   // z ~ N(0, 1)
 * delay = min(max(delay, 0), maxDelay)
 * ```
 *
 * starting from `delay = initialDelay`, so the first retry comes about
 * `initialDelay * factor` seconds after the first failure. `z` is a standard
 * normal deviate made from two draws of `random` by the Box-Muller
 * transform (`z = sqrt(-2 ln(1 - u1)) * cos(2 pi u2)`), as Twisted's
 * `random.normalvariate(delay, delay * jitter)`. Unlike Twisted (#4734),
 * `maxDelay` is a true cap: the jitter never takes a delay above it.
 *
 * Unlike Twisted (#1994), a successful connection resets the back-off by
 * itself: `buildProtocol` calls `resetDelay()` (call `super.buildProtocol`
 * when overriding it). `stopTrying()` cancels a scheduled retry and an
 * attempt in progress. Overriding `startedConnecting`,
 * `clientConnectionFailed` or `clientConnectionLost`, call the `super`
 * method too, as with Twisted.
 *
 * All delays run on `clock` (default: real time), so a test passes the fake
 * `Clock` and a fixed `random` and knows every delay exactly.
 *
 * The promise `connect` returns stands for the first attempt only: when it
 * rejects, the factory is already retrying (catch it and carry on).
 *
 * @typeParam P The protocol class this factory builds.
 *
 * @example Reconnecting to an echo server (started or not)
 * ```ts ignore
 * import { connect, Protocol, ReconnectingClientFactory } from "@torsion/protocols";
 *
 * class Hello extends Protocol {
 *   override connectionMade(): void {
 *     this.transport!.write("hello\r\n");
 *   }
 * }
 * const factory = ReconnectingClientFactory.forProtocol(Hello);
 * factory.maxDelay = 30;
 * // The first attempt may fail: the factory retries anyway.
 * await connect("tcp:host=127.0.0.1:port=8007", factory).catch(() => {});
 * // ...later
 * factory.stopTrying();
 * ```
 *
 * @example The back-off, on a fake clock
 * ```ts
 * import assert from "node:assert/strict";
 * import { connect, ConnectionRefusedError, Protocol, ReconnectingClientFactory } from "@torsion/protocols";
 * import { Clock } from "@torsion/protocols/testing";
 *
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const { port } = listener.addr;
 * listener.close(); // nothing listens there now
 *
 * const factory = ReconnectingClientFactory.forProtocol(Protocol);
 * factory.clock = new Clock();
 * factory.random = () => 0; // no jitter
 * await assert.rejects(connect(`tcp:host=127.0.0.1:port=${port}`, factory), ConnectionRefusedError);
 * assert.equal(factory.retries, 1);
 * assert.equal(factory.delay, Math.E); // seconds until the next attempt
 * factory.stopTrying();
 * ```
 */
export class ReconnectingClientFactory<P extends Protocol = Protocol>
  extends ClientFactory<P> {
  /** Seconds before the first retry is multiplied by `factor`. */
  initialDelay = 1;
  /** The longest delay between attempts, in seconds, jitter included. */
  maxDelay = 3600;
  /** How much the delay grows after each failure. */
  factor: number = Math.E;
  /** Standard deviation of the random part of a delay, relative to the delay. */
  jitter = 0.119626565582;
  /** Consecutive failed attempts after which to give up; null: never give up. */
  maxRetries: number | null = null;
  /** The current delay in seconds: the last one scheduled, or `initialDelay`. */
  delay = 1;
  /** Attempts since the last successful connection. */
  retries = 0;
  /** False after `stopTrying()`, until `resetDelay()`. */
  continueTrying = true;
  /** The connector retried: the last one seen by a hook. */
  connector: Connector | null = null;
  /** The clock retries are scheduled on. */
  clock: ReactorTime = realClock;
  /** Uniform random numbers in [0, 1), for the jitter. */
  random: () => number = Math.random;
  #call: DelayedCall | null = null;

  /**
   * A reconnecting factory that builds instances of `protocol`.
   *
   * @typeParam P The protocol class.
   * @param protocol The protocol class.
   * @returns A new factory of this class with `protocol` set.
   *
   * @example Twisted's defaults
   * ```ts
   * import assert from "node:assert/strict";
   * import { Protocol, ReconnectingClientFactory } from "@torsion/protocols";
   *
   * const factory = ReconnectingClientFactory.forProtocol(Protocol);
   * assert.equal(factory.initialDelay, 1);
   * assert.equal(factory.maxDelay, 3600);
   * assert.equal(factory.factor, Math.E);
   * ```
   */
  static override forProtocol<P extends Protocol>(
    protocol: new () => P,
  ): ReconnectingClientFactory<P> {
    const factory = new this() as unknown as ReconnectingClientFactory<P>;
    factory.protocol = protocol;
    return factory;
  }

  /**
   * Build the protocol of a new connection, and reset the back-off: the
   * connection succeeded.
   *
   * @param addr The server's address.
   * @returns The protocol, or null to refuse the connection.
   */
  override buildProtocol(addr: Deno.Addr): P | null {
    this.resetDelay();
    return super.buildProtocol(addr);
  }

  /**
   * Remember the connector, so that `stopTrying()` can cancel its attempt.
   *
   * @param connector The connection being attempted.
   */
  override startedConnecting(connector: Connector): void {
    this.connector = connector;
  }

  /**
   * Schedule a retry, unless `stopTrying()` was called.
   *
   * @param connector The connection that was attempted.
   * @param _reason Why it failed.
   */
  override clientConnectionFailed(connector: Connector, _reason: Error): void {
    if (!this.continueTrying) return;
    this.connector = connector;
    this.retry();
  }

  /**
   * Schedule a reconnection, unless `stopTrying()` was called.
   *
   * @param connector The connection that ended.
   * @param _reason Why it ended.
   */
  override clientConnectionLost(
    connector: Connector,
    _reason: ConnectionClosed,
  ): void {
    if (!this.continueTrying) return;
    this.connector = connector;
    this.retry();
  }

  /**
   * Have the connector connect again after the next delay. Gives up (and
   * schedules nothing) after `stopTrying()`, past `maxRetries`, or when the
   * connector was stopped by its abort signal.
   *
   * @param connector The connector; default the last one seen.
   * @throws {TypeError} When there is no connector to retry.
   *
   * @example Retry delays, driven by a fake clock
   * ```ts
   * import assert from "node:assert/strict";
   * import { type Connector, Protocol, ReconnectingClientFactory } from "@torsion/protocols";
   * import { Clock } from "@torsion/protocols/testing";
   *
   * let attempts = 0;
   * const connector: Connector = {
   *   state: "disconnected",
   *   stopped: false,
   *   connect: () => void attempts++,
   *   stopConnecting: () => {},
   *   disconnect: () => {},
   *   getDestination: () => ({ transport: "tcp", hostname: "127.0.0.1", port: 8007 }),
   * };
   * const clock = new Clock();
   * const factory = ReconnectingClientFactory.forProtocol(Protocol);
   * factory.clock = clock;
   * factory.random = () => 0; // no jitter
   * factory.retry(connector); // the first retry: after e seconds
   * clock.advance(2718);
   * assert.equal(attempts, 0);
   * clock.advance(1);
   * assert.equal(attempts, 1);
   * ```
   */
  retry(connector: Connector | null = this.connector): void {
    if (!this.continueTrying) return;
    if (connector === null) throw new TypeError("No connector to retry");
    if (connector.stopped) return;
    this.retries++;
    if (this.maxRetries !== null && this.retries > this.maxRetries) return;
    this.delay = this.#nextDelay();
    this.#call?.cancel();
    this.#call = this.clock.callLater(this.delay * 1000, () => {
      this.#call = null;
      if (connector.state === "disconnected") connector.connect();
    });
  }

  /**
   * Forget past failures: the next delay starts again from `initialDelay`,
   * the retry count from 0, and `stopTrying()` is undone. Called by
   * `buildProtocol`, i.e. on every successful connection.
   *
   * @example Starting over
   * ```ts
   * import assert from "node:assert/strict";
   * import { Protocol, ReconnectingClientFactory } from "@torsion/protocols";
   *
   * const factory = ReconnectingClientFactory.forProtocol(Protocol);
   * factory.delay = 100;
   * factory.retries = 5;
   * factory.resetDelay();
   * assert.equal(factory.delay, factory.initialDelay);
   * assert.equal(factory.retries, 0);
   * ```
   */
  resetDelay(): void {
    this.delay = this.initialDelay;
    this.retries = 0;
    this.continueTrying = true;
  }

  /**
   * Stop reconnecting: cancel the scheduled retry and the attempt in
   * progress (which fails with a `ConnectingCancelledError`). An open
   * connection stays open, and is not reconnected once it ends.
   *
   * @example No retry after `stopTrying()`
   * ```ts
   * import assert from "node:assert/strict";
   * import { type Connector, Protocol, ReconnectingClientFactory } from "@torsion/protocols";
   * import { Clock } from "@torsion/protocols/testing";
   *
   * let attempts = 0;
   * const connector: Connector = {
   *   state: "disconnected",
   *   stopped: false,
   *   connect: () => void attempts++,
   *   stopConnecting: () => {},
   *   disconnect: () => {},
   *   getDestination: () => ({ transport: "tcp", hostname: "127.0.0.1", port: 8007 }),
   * };
   * const clock = new Clock();
   * const factory = ReconnectingClientFactory.forProtocol(Protocol);
   * factory.clock = clock;
   * factory.clientConnectionFailed(connector, new Error("refused")); // schedules a retry
   * factory.stopTrying();
   * clock.advance(3_600_000);
   * assert.equal(attempts, 0);
   * ```
   */
  stopTrying(): void {
    this.#call?.cancel();
    this.#call = null;
    this.continueTrying = false;
    this.connector?.stopConnecting();
  }

  #nextDelay(): number {
    let delay = Math.min(this.delay * this.factor, this.maxDelay);
    if (this.jitter) delay *= 1 + this.jitter * this.#normal();
    // NaN (a bad field) falls to 0 rather than a timer that never fires.
    return Math.min(Math.max(delay, 0) || 0, this.maxDelay);
  }

  // A standard normal deviate (Box-Muller); 1 - u keeps the logarithm finite.
  #normal(): number {
    const u1 = this.random();
    const u2 = this.random();
    return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
  }
}
