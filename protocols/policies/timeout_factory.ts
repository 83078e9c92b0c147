/**
 * `TimeoutFactory`: close connections that stay idle too long.
 *
 * @module
 */

import type { Factory } from "../factory.ts";
import type { Protocol } from "../protocol.ts";
import { type ReactorTime, realClock } from "../reactor_time.ts";
import { checkTimeout } from "./_checks.ts";
import { TimeoutProtocol } from "./timeout_protocol.ts";
import { WrappingFactory } from "./wrapping_factory.ts";

/** Options of `TimeoutFactory`. */
export interface TimeoutFactoryOptions {
  /** Idle period in ms: with nothing read or written for that long, a connection is closed. */
  timeout: number;
  /** The clock to run on (the fake `Clock` in tests). Default: real time. */
  clock?: ReactorTime;
}

/**
 * Wraps every protocol of a factory in a `TimeoutProtocol`: a connection on
 * which nothing is read or written (and nothing buffered is taken by the
 * peer) for `timeout` ms gets `timeoutConnection()`, which closes it
 * (Twisted's `TimeoutFactory`, with milliseconds). The timer is reset by
 * every read and write, cancelled when the connection is lost, and fires
 * once. Changing `timeout` affects the connections made afterwards.
 *
 * This is the defence against slowloris peers: one that trickles a byte now
 * and then still resets the timer, so combine it with a limit on what a
 * request may take (`LineReceiver.MAX_LENGTH`, a deadline in the protocol).
 *
 * @example An idle connection closed, on a fake clock
 * ```ts
 * import assert from "node:assert/strict";
 * import { Factory, Protocol, TimeoutFactory } from "@torsion/protocols";
 * import { Clock, StringTransport } from "@torsion/protocols/testing";
 *
 * const clock = new Clock();
 * const factory = new TimeoutFactory(Factory.forProtocol(Protocol), { timeout: 30_000, clock });
 * const peer: Deno.NetAddr = { transport: "tcp", hostname: "127.0.0.1", port: 54321 };
 * const protocol = factory.buildProtocol(peer)!;
 * const transport = new StringTransport();
 * protocol.makeConnection(transport);
 * clock.advance(29_999);
 * protocol.dataReceived(new Uint8Array(1)); // activity: counting starts again
 * clock.advance(29_999);
 * assert.equal(transport.disconnecting, false);
 * clock.advance(1);
 * assert.equal(transport.disconnecting, true);
 * ```
 *
 * @example Idle connections closed after 30 s
 * ```ts
 * import { Factory, listen, Protocol, TimeoutFactory } from "@torsion/protocols";
 *
 * class Echo extends Protocol {
 *   override dataReceived(data: Uint8Array): void {
 *     this.transport!.write(data);
 *   }
 * }
 * const factory = new TimeoutFactory(Factory.forProtocol(Echo), { timeout: 30_000 });
 * const port = await listen("tcp:0:interface=127.0.0.1", factory);
 * await port.close();
 * ```
 */
export class TimeoutFactory extends WrappingFactory {
  /** Idle period in ms of the connections made from now on. */
  timeout: number;
  /** The clock the timers run on. */
  readonly clock: ReactorTime;

  /**
   * Wrap a factory.
   *
   * @param wrappedFactory The factory that builds the real protocols.
   * @param options `timeout` (ms) and `clock`.
   * @throws {RangeError} When `timeout` is negative, NaN or infinite.
   */
  constructor(wrappedFactory: Factory, options: TimeoutFactoryOptions) {
    super(wrappedFactory);
    checkTimeout(options?.timeout);
    this.timeout = options.timeout;
    this.clock = options.clock ?? realClock;
  }

  /**
   * Wrap a protocol in a `TimeoutProtocol`. Override to use a subclass (with
   * its own `timeoutConnection`, say).
   *
   * @param protocol The protocol to wrap.
   * @param _addr The peer's address.
   * @returns The wrapper.
   */
  override wrapProtocol(protocol: Protocol, _addr: Deno.Addr): TimeoutProtocol {
    return new TimeoutProtocol(this, protocol, {
      timeout: this.timeout,
      clock: this.clock,
    });
  }
}
