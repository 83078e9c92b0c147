/**
 * `IdleTimer`: a resettable idle timeout for protocols that keep their own
 * (Twisted's `TimeoutMixin`).
 *
 * @module
 */

import {
  type DelayedCall,
  type ReactorTime,
  realClock,
} from "../reactor_time.ts";
import { checkTimeout } from "./_checks.ts";

/** Options of `IdleTimer`. */
export interface IdleTimerOptions {
  /** The clock to run on. Default: real time. */
  clock?: ReactorTime;
}

// A re-armed call due within this many ms of its deadline fires: float
// arithmetic must not make a call re-arm itself forever at the same time.
const EPSILON = 1e-3;

/**
 * One idle timeout: armed with `setTimeout(ms)`, pushed back by
 * `resetTimeout()` on activity, calls `onTimeout` once when `ms` pass with
 * no reset. What Twisted's `TimeoutMixin` does, as an object a protocol owns
 * (TypeScript has no mixins).
 *
 * `resetTimeout()` costs a clock read and no timer churn: the timer is
 * re-armed for the remaining time only when it falls due, so calling it on
 * every chunk read or written is cheap.
 *
 * @example A protocol that closes after 30 s without a line
 * ```ts
 * import { IdleTimer, LineReceiver } from "@torsion/protocols";
 * import type { ConnectionClosed } from "@torsion/protocols";
 *
 * class Session extends LineReceiver {
 *   #idle = new IdleTimer(() => this.transport!.loseConnection());
 *   override connectionMade(): void {
 *     this.#idle.setTimeout(30_000);
 *   }
 *   override lineReceived(line: string): void {
 *     this.#idle.resetTimeout();
 *     this.sendLine(line);
 *   }
 *   override connectionLost(_reason: ConnectionClosed): void {
 *     this.#idle.cancel();
 *   }
 * }
 * ```
 */
export class IdleTimer {
  #onTimeout: () => void;
  #clock: ReactorTime;
  #timeout: number | null = null;
  #call: DelayedCall | null = null;
  #deadline = 0;

  /**
   * Make a timer; it is not armed until `setTimeout`.
   *
   * @param onTimeout Called when the timeout passes with no reset.
   * @param options `clock`: the clock to run on.
   */
  constructor(onTimeout: () => void, options: IdleTimerOptions = {}) {
    this.#onTimeout = onTimeout;
    this.#clock = options.clock ?? realClock;
  }

  /** The period in ms, or null when disabled. Stays set after the timer fired. */
  get timeout(): number | null {
    return this.#timeout;
  }

  /** True while armed: set, not yet fired, not cancelled. */
  get active(): boolean {
    return this.#call !== null && this.#call.active;
  }

  /**
   * Set the period and start counting from now (re-arming a timer that
   * fired), or disable the timer with `null`.
   *
   * @param ms The period in milliseconds, or null to cancel.
   * @returns The previous period.
   * @throws {RangeError} When `ms` is negative, NaN or infinite.
   *
   * @example Arming, then disabling
   * ```ts
   * import assert from "node:assert/strict";
   * import { IdleTimer } from "@torsion/protocols";
   * import { Clock } from "@torsion/protocols/testing";
   *
   * const clock = new Clock();
   * const timer = new IdleTimer(() => console.log("idle"), { clock });
   * timer.setTimeout(1000);
   * assert.equal(timer.active, true);
   * assert.equal(timer.setTimeout(null), 1000);
   * assert.equal(timer.active, false);
   * ```
   */
  setTimeout(ms: number | null): number | null {
    if (ms !== null) checkTimeout(ms);
    const previous = this.#timeout;
    this.#timeout = ms;
    this.#call?.cancel();
    this.#call = null;
    if (ms !== null) {
      this.#deadline = this.#clock.now() + ms;
      this.#call = this.#clock.callLater(ms, this.#fire);
    }
    return previous;
  }

  /**
   * Activity: count the period again from now. Does nothing when the timer
   * is not armed (never set, cancelled, or already fired).
   *
   * @example Activity pushes the timeout back
   * ```ts
   * import assert from "node:assert/strict";
   * import { IdleTimer } from "@torsion/protocols";
   * import { Clock } from "@torsion/protocols/testing";
   *
   * const clock = new Clock();
   * let idle = false;
   * const timer = new IdleTimer(() => idle = true, { clock });
   * timer.setTimeout(1000);
   * clock.advance(900);
   * timer.resetTimeout();
   * clock.advance(900);
   * assert.equal(idle, false);
   * clock.advance(100);
   * assert.equal(idle, true);
   * ```
   */
  resetTimeout(): void {
    if (this.#call === null || this.#timeout === null) return;
    this.#deadline = this.#clock.now() + this.#timeout;
  }

  /** Disable the timer (the same as `setTimeout(null)`). */
  cancel(): void {
    this.setTimeout(null);
  }

  #fire = (): void => {
    this.#call = null;
    const remaining = this.#deadline - this.#clock.now();
    if (remaining > EPSILON) {
      this.#call = this.#clock.callLater(remaining, this.#fire);
      return;
    }
    this.#onTimeout();
  };
}
