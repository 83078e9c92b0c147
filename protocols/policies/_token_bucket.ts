// A token bucket of bytes for ThrottlingFactory: refilled continuously at
// `rate` bytes per second (computed from the clock when looked at, so no
// timer runs while nothing waits), holding at most `capacity`.

import type { ReactorTime } from "../reactor_time.ts";

/** The largest burst: this many ms worth of the rate. */
export const BURST_MS = 100;

// Float slack: 50 ms worth of 1 MiB/s computes as 50.000000000000004 ms.
const SLACK = 1e-6;

export class TokenBucket {
  /** Bytes per second. */
  readonly rate: number;
  /** The most the bucket holds: 100 ms worth, at least one byte. */
  readonly capacity: number;
  /**
   * The level a throttled side waits for: half the capacity (at least one
   * byte), so a timer that fires late loses nothing to the cap.
   */
  readonly threshold: number;
  #clock: ReactorTime;
  #tokens: number;
  #last: number;

  constructor(rate: number, clock: ReactorTime) {
    this.rate = rate;
    this.capacity = Math.max((rate * BURST_MS) / 1000, 1);
    this.threshold = Math.max(this.capacity / 2, 1);
    this.#clock = clock;
    this.#tokens = this.capacity;
    this.#last = clock.now();
  }

  /** The level now; negative after an overdraft. */
  get tokens(): number {
    this.#refill();
    return this.#tokens;
  }

  /** Whole bytes that may go now. */
  get whole(): number {
    return Math.max(0, Math.floor(this.tokens + SLACK));
  }

  /** Spend `n` bytes (the level may go below zero: a debt repaid first). */
  take(n: number): void {
    this.#refill();
    this.#tokens -= n;
  }

  /**
   * Milliseconds until the level reaches `level`: 0 if it has, else a whole
   * number of at least 1 (so a timer waiting for it moves the clock on).
   */
  msUntil(level: number): number {
    const missing = level - this.tokens;
    if (missing <= SLACK) return 0;
    return Math.max(1, Math.ceil((missing * 1000) / this.rate - SLACK));
  }

  #refill(): void {
    const now = this.#clock.now();
    const elapsed = now - this.#last;
    this.#last = now;
    if (elapsed <= 0) return;
    this.#tokens = Math.min(
      this.capacity,
      this.#tokens + (this.rate * elapsed) / 1000,
    );
  }
}
