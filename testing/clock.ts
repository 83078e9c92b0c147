/**
 * `Clock`: a fake clock for tests (Twisted's `task.Clock`).
 *
 * @module
 */

import type { DelayedCall, ReactorTime } from "../protocols/reactor_time.ts";

/** A call scheduled on a fake `Clock`. */
export interface ClockCall extends DelayedCall {
  /** When (clock milliseconds) the call is due. */
  readonly time: number;
}

class ScheduledCall implements ClockCall {
  active = true;
  constructor(
    readonly time: number,
    readonly fn: () => void,
    readonly onCancel: (call: ScheduledCall) => void,
  ) {}

  cancel(): void {
    if (!this.active) return;
    this.active = false;
    this.onCancel(this);
  }
}

/**
 * A clock that only moves when told to. Pass it as `{ clock }` to anything
 * with a timeout and drive time with `advance(ms)`: tests never wait.
 *
 * @example Firing a timeout without waiting
 * ```ts
 * import { Clock } from "@torsion/protocols/testing";
 *
 * const clock = new Clock();
 * let fired = false;
 * clock.callLater(5000, () => fired = true);
 * clock.advance(4999);
 * console.log(fired); // false
 * clock.advance(1);
 * console.log(fired); // true
 * ```
 */
export class Clock implements ReactorTime {
  #now = 0;
  #calls: ScheduledCall[] = [];

  /**
   * The fake time.
   *
   * @returns Milliseconds since the clock was made (plus `advance`s).
   */
  now(): number {
    return this.#now;
  }

  /**
   * Schedule `fn` at `now() + ms`. Calls due at the same time run in the
   * order they were scheduled.
   *
   * @param ms Delay in milliseconds (negative or NaN counts as 0, as in
   *   `setTimeout`; `Infinity` never falls due).
   * @param fn What to run.
   * @returns A handle with `cancel()`, `active` and `time`.
   */
  callLater(ms: number, fn: () => void): ClockCall {
    const delay = ms > 0 ? ms : 0; // NaN > 0 is false
    const call = new ScheduledCall(this.#now + delay, fn, this.#forget);
    // Insert after every call due at or before it: the list stays sorted by
    // time, then by scheduling order.
    const calls = this.#calls;
    let low = 0;
    let high = calls.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (calls[mid].time <= call.time) low = mid + 1;
      else high = mid;
    }
    calls.splice(low, 0, call);
    return call;
  }

  /**
   * Move time forward by `ms`, running every call that falls due, in time
   * order. Each call sees `now()` equal to its due time; calls it schedules
   * run in the same `advance` if they fall due within it. If a call throws,
   * the clock stays at that call's time and the error propagates: the calls
   * still due run at the next `advance`.
   *
   * @param ms Milliseconds to advance: finite and not negative.
   * @throws {RangeError} When `ms` is negative, NaN or infinite.
   */
  advance(ms: number): void {
    if (ms < 0) {
      throw new RangeError(`Cannot advance a clock backwards: ${ms} ms`);
    }
    if (!Number.isFinite(ms)) {
      throw new RangeError(
        `Cannot advance a clock by a non-finite amount: ${ms} ms`,
      );
    }
    const end = this.#now + ms;
    while (this.#calls.length > 0 && this.#calls[0].time <= end) {
      const call = this.#calls.shift()!;
      this.#now = call.time;
      call.active = false;
      call.fn();
    }
    this.#now = end;
  }

  /**
   * Advance by each of `steps` in turn (Twisted's `Clock.pump`).
   *
   * @param steps Milliseconds per step.
   * @throws {RangeError} When a step is negative, NaN or infinite.
   */
  pump(steps: Iterable<number>): void {
    for (const step of steps) this.advance(step);
  }

  /**
   * The calls still pending, soonest first.
   *
   * @returns The pending calls.
   */
  getDelayedCalls(): ClockCall[] {
    return [...this.#calls];
  }

  #forget = (call: ScheduledCall): void => {
    const index = this.#calls.indexOf(call);
    if (index !== -1) this.#calls.splice(index, 1);
  };
}
