/**
 * `Clock`: a fake clock for tests (Twisted's `twisted.internet.task.Clock`).
 * Every timeout, idle limit, throttle and retry delay in torsion takes a
 * `{ clock }` option (`ReconnectingClientFactory` a `clock` field), so a
 * test moves time with `advance(ms)` instead of waiting for it. Times are
 * in milliseconds (Twisted's are in seconds).
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
 * import assert from "node:assert/strict";
 * import { Clock } from "@torsion/protocols/testing";
 *
 * const clock = new Clock();
 * let fired = false;
 * clock.callLater(5000, () => fired = true);
 * clock.advance(4999);
 * assert.equal(fired, false);
 * clock.advance(1);
 * assert.equal(fired, true);
 * ```
 */
export class Clock implements ReactorTime {
  #now = 0;
  #calls: ScheduledCall[] = [];

  /**
   * The fake time.
   *
   * @returns Milliseconds since the clock was made (plus `advance`s).
   *
   * @example Time moves only when told to
   * ```ts
   * import assert from "node:assert/strict";
   * import { Clock } from "@torsion/protocols/testing";
   *
   * const clock = new Clock();
   * assert.equal(clock.now(), 0);
   * clock.advance(1500);
   * assert.equal(clock.now(), 1500);
   * ```
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
   *
   * @example Scheduling and cancelling
   * ```ts
   * import assert from "node:assert/strict";
   * import { Clock } from "@torsion/protocols/testing";
   *
   * const clock = new Clock();
   * const ran: string[] = [];
   * const call = clock.callLater(100, () => ran.push("cancelled"));
   * clock.callLater(200, () => ran.push("kept"));
   * assert.equal(call.time, 100);
   * call.cancel();
   * clock.advance(1000);
   * assert.deepEqual(ran, ["kept"]);
   * assert.equal(call.active, false);
   * ```
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
   *
   * @example Calls run in time order, each at its own time
   * ```ts
   * import assert from "node:assert/strict";
   * import { Clock } from "@torsion/protocols/testing";
   *
   * const clock = new Clock();
   * const seen: number[] = [];
   * clock.callLater(300, () => seen.push(clock.now()));
   * clock.callLater(100, () => {
   *   seen.push(clock.now());
   *   clock.callLater(50, () => seen.push(clock.now())); // due within this advance
   * });
   * clock.advance(1000);
   * assert.deepEqual(seen, [100, 150, 300]);
   * assert.throws(() => clock.advance(-1), RangeError);
   * ```
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
   *
   * @example Ten steps of a second
   * ```ts
   * import assert from "node:assert/strict";
   * import { Clock } from "@torsion/protocols/testing";
   *
   * const clock = new Clock();
   * let ticks = 0;
   * const tick = (): void => {
   *   ticks++;
   *   clock.callLater(1000, tick);
   * };
   * clock.callLater(1000, tick);
   * clock.pump(Array(10).fill(1000));
   * assert.equal(ticks, 10);
   * ```
   */
  pump(steps: Iterable<number>): void {
    for (const step of steps) this.advance(step);
  }

  /**
   * The calls still pending, soonest first.
   *
   * @returns The pending calls.
   *
   * @example Checking that nothing is left scheduled
   * ```ts
   * import assert from "node:assert/strict";
   * import { Clock } from "@torsion/protocols/testing";
   *
   * const clock = new Clock();
   * const call = clock.callLater(5000, () => {});
   * assert.deepEqual(clock.getDelayedCalls().map((c) => c.time), [5000]);
   * call.cancel();
   * assert.equal(clock.getDelayedCalls().length, 0);
   * ```
   */
  getDelayedCalls(): ClockCall[] {
    return [...this.#calls];
  }

  #forget = (call: ScheduledCall): void => {
    const index = this.#calls.indexOf(call);
    if (index !== -1) this.#calls.splice(index, 1);
  };
}
