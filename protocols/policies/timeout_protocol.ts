/**
 * `TimeoutProtocol`: the wrapper of `TimeoutFactory`, which closes a
 * connection that stays idle too long.
 *
 * @module
 */

import type { ConnectionClosed } from "../errors.ts";
import type { Protocol } from "../protocol.ts";
import type { ReactorTime } from "../reactor_time.ts";
import type { Transport } from "../transport.ts";
import { checkTimeout } from "./_checks.ts";
import { IdleTimer } from "./idle_timer.ts";
import { ProtocolWrapper } from "./protocol_wrapper.ts";
import type { WrappingFactory } from "./wrapping_factory.ts";

/** Options of `TimeoutProtocol`. */
export interface TimeoutProtocolOptions {
  /** Idle period in ms; null: no timeout until `setTimeout`. */
  timeout: number | null;
  /** The clock to run on. Default: real time. */
  clock?: ReactorTime;
}

/**
 * Wraps a protocol and calls `timeoutConnection()` once the connection has
 * been idle for `timeout` ms (Twisted's `TimeoutProtocol`). Idle means:
 * nothing read (data or end-of-stream), nothing written, and nothing of what
 * was written taken by the peer. The last point is torsion's: a large reply
 * still draining to a slow reader is not idle, while a peer that stopped
 * reading is. The timer starts when the connection is made, is cancelled
 * when it is lost, and fires at most once (unless re-armed by `setTimeout`).
 *
 * The wrapped protocol reaches the wrapper as its transport, so it can
 * change its own timeout: `(this.transport as TimeoutProtocol).setTimeout(ms)`.
 *
 * @example Closing idle connections after 5 minutes
 * ```ts
 * import { Factory, listen, Protocol, TimeoutFactory } from "@torsion/protocols";
 *
 * const factory = new TimeoutFactory(Factory.forProtocol(Protocol), { timeout: 300_000 });
 * const port = await listen("tcp:0:interface=127.0.0.1", factory);
 * await port.close();
 * ```
 */
export class TimeoutProtocol extends ProtocolWrapper {
  #timer: IdleTimer;
  #period: number | null;
  // What was buffered when we last looked: less now means the peer took some.
  #bufferedMark = 0;

  /**
   * Wrap a protocol.
   *
   * @param factory The wrapping factory.
   * @param wrappedProtocol The protocol to wrap.
   * @param options `timeout` (ms or null) and `clock`.
   * @throws {RangeError} When `timeout` is negative, NaN or infinite.
   */
  constructor(
    factory: WrappingFactory,
    wrappedProtocol: Protocol,
    options: TimeoutProtocolOptions,
  ) {
    super(factory, wrappedProtocol);
    if (options.timeout !== null) checkTimeout(options.timeout);
    this.#timer = new IdleTimer(() => this.#idle(), { clock: options.clock });
    this.#period = options.timeout; // armed when the connection is made
  }

  /** The idle period in ms, or null when there is none. */
  get timeout(): number | null {
    return this.#period;
  }

  /** True while the idle timer is armed. */
  get timeoutActive(): boolean {
    return this.#timer.active;
  }

  /**
   * Start counting (then pass the connection on to the wrapped protocol).
   *
   * @param transport The real transport.
   */
  override makeConnection(transport: Transport): void {
    if (this.#period !== null && !this.#timer.active) {
      this.#timer.setTimeout(this.#period);
    }
    super.makeConnection(transport);
    this.#bufferedMark = this.bufferedAmount;
  }

  /**
   * Set a new idle period counted from now, replacing the current timer;
   * `null` cancels it.
   *
   * @param ms The period in ms, or null.
   * @throws {RangeError} When `ms` is negative, NaN or infinite.
   *
   * @example A protocol that allows more idle time once logged in
   * ```ts
   * import { LineReceiver, type TimeoutProtocol } from "@torsion/protocols";
   *
   * class Login extends LineReceiver {
   *   override lineReceived(line: string): void {
   *     if (line.startsWith("LOGIN ")) {
   *       // Served through a TimeoutFactory, the transport is the wrapper.
   *       (this.transport as TimeoutProtocol).setTimeout(600_000);
   *     }
   *   }
   * }
   * ```
   */
  setTimeout(ms: number | null): void {
    this.#timer.setTimeout(ms);
    this.#period = ms;
  }

  /**
   * Cancel the idle timer (a no-op when it is not armed); `setTimeout(ms)`
   * arms it again.
   */
  cancelTimeout(): void {
    this.setTimeout(null);
  }

  /** Activity: count the idle period again from now. */
  resetTimeout(): void {
    this.#timer.resetTimeout();
    this.#bufferedMark = this.bufferedAmount;
  }

  /**
   * The connection was idle for the whole period. Override to do something
   * else (send a goodbye first, say).
   *
   * By default: with nothing left in the write buffer, close cleanly
   * (`loseConnection`, aborting if a registered producer does not let it
   * finish within another period); with bytes still buffered, abort at once.
   * Those bytes have not moved for a whole period: the peer has stopped
   * reading, and waiting for it to drain (Twisted's `loseConnection`) could
   * hold the connection, and its memory, forever.
   */
  timeoutConnection(): void {
    if (this.bufferedAmount > 0) this.abortConnection();
    else this.loseConnection({ timeout: this.#period ?? 0 });
  }

  /**
   * Bytes arrived: reset the timer and pass them on.
   *
   * @param data The bytes.
   */
  override dataReceived(data: Uint8Array): void {
    this.resetTimeout();
    super.dataReceived(data);
  }

  /** The peer half-closed: that is activity too; pass it on. */
  override forwardReadConnectionLost(): void {
    this.resetTimeout();
    super.forwardReadConnectionLost();
  }

  /**
   * Send bytes and reset the timer.
   *
   * @param data The bytes or text.
   */
  override write(data: Uint8Array | string): void {
    super.write(data);
    this.resetTimeout();
  }

  /**
   * Send several chunks and reset the timer.
   *
   * @param chunks The bytes or texts.
   */
  override writeSequence(chunks: Iterable<Uint8Array | string>): void {
    super.writeSequence(chunks);
    this.resetTimeout();
  }

  /**
   * Cancel the timer, then pass the loss on.
   *
   * @param reason Why the connection ended.
   */
  override connectionLost(reason: ConnectionClosed): void {
    this.#timer.cancel();
    super.connectionLost(reason);
  }

  #idle(): void {
    const buffered = this.bufferedAmount;
    if (this.connected && buffered < this.#bufferedMark) {
      // Not idle: the peer is still taking what was written.
      this.#bufferedMark = buffered;
      this.#timer.setTimeout(this.#period);
      return;
    }
    if (this.connected) this.timeoutConnection();
  }
}
