/**
 * `ReactorTime`: the clock every timeout, idle limit, throttle and retry
 * delay in torsion runs on. Pass `{ clock }` to swap in the fake `Clock` from
 * `@torsion/protocols/testing`, so that tests never wait for real time.
 *
 * @module
 */

/** A call scheduled with `ReactorTime.callLater`. */
export interface DelayedCall {
  /** Cancel the call; no-op if it already ran or was cancelled. */
  cancel(): void;
  /** True until the call runs or is cancelled. */
  readonly active: boolean;
}

/**
 * Something that tells the time and runs functions later (Twisted's
 * `IReactorTime`): `realClock`, or the fake `Clock` of
 * `@torsion/protocols/testing`. Accept one as an option `{ clock }` to make
 * your own timeouts testable.
 *
 * @example A protocol whose timeout a test can drive
 * ```ts
 * import assert from "node:assert/strict";
 * import { Protocol, type ReactorTime, realClock } from "@torsion/protocols";
 * import { Clock, StringTransport } from "@torsion/protocols/testing";
 *
 * class Login extends Protocol {
 *   clock: ReactorTime = realClock;
 *   override connectionMade(): void {
 *     this.clock.callLater(30_000, () => this.transport!.loseConnection());
 *   }
 * }
 *
 * const login = new Login();
 * const clock = new Clock();
 * login.clock = clock;
 * const transport = new StringTransport();
 * login.makeConnection(transport);
 * clock.advance(30_000);
 * assert.equal(transport.disconnecting, true);
 * ```
 */
export interface ReactorTime {
  /**
   * The current time.
   *
   * @returns Milliseconds, on an arbitrary but monotonic scale.
   */
  now(): number;
  /**
   * Run `fn` after `ms` milliseconds.
   *
   * @param ms The delay in milliseconds.
   * @param fn The function to run.
   * @returns A handle to cancel the call.
   */
  callLater(ms: number, fn: () => void): DelayedCall;
}

class TimerCall implements DelayedCall {
  #id: ReturnType<typeof setTimeout> | undefined;

  constructor(ms: number, fn: () => void) {
    this.#id = setTimeout(() => {
      this.#id = undefined;
      fn();
    }, Math.max(0, ms));
  }

  get active(): boolean {
    return this.#id !== undefined;
  }

  cancel(): void {
    if (this.#id === undefined) return;
    clearTimeout(this.#id);
    this.#id = undefined;
  }
}

/**
 * Real time: `performance.now()` and `setTimeout`. The default clock of
 * everything that takes `{ clock }`.
 *
 * @example Scheduling and cancelling a call
 * ```ts
 * import assert from "node:assert/strict";
 * import { realClock } from "@torsion/protocols";
 *
 * const call = realClock.callLater(1000, () => console.log("later"));
 * assert.equal(call.active, true);
 * call.cancel();
 * assert.equal(call.active, false);
 * ```
 */
export const realClock: ReactorTime = {
  now: (): number => performance.now(),
  callLater: (ms: number, fn: () => void): DelayedCall => new TimerCall(ms, fn),
};
