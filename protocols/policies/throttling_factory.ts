/**
 * `ThrottlingFactory`: limit the bytes per second read and written by all
 * the connections of a factory.
 *
 * @module
 */

import type { Factory } from "../factory.ts";
import type { Protocol } from "../protocol.ts";
import {
  type DelayedCall,
  type ReactorTime,
  realClock,
} from "../reactor_time.ts";
import { checkPositive } from "./_checks.ts";
import { type Throttle, ThrottlingProtocol } from "./_throttling_protocol.ts";
import { TokenBucket } from "./_token_bucket.ts";
import type { ProtocolWrapper } from "./protocol_wrapper.ts";
import { WrappingFactory } from "./wrapping_factory.ts";

/** Options of `ThrottlingFactory`. */
export interface ThrottlingOptions {
  /** Bytes per second read, all connections together. Default: no limit. */
  readLimit?: number;
  /** Bytes per second written, all connections together. Default: no limit. */
  writeLimit?: number;
  /** The clock to run on (the fake `Clock` in tests). Default: real time. */
  clock?: ReactorTime;
}

/**
 * Holds all the connections of a factory, together, to `readLimit` bytes
 * per second read and `writeLimit` bytes per second written (Twisted's
 * `ThrottlingFactory`, with a finer and exact accounting).
 *
 * Each direction has a token bucket refilled at its limit and holding at
 * most 100 ms worth: bursts stay within that, and over any stretch of time
 * the bytes moved are the limit times the time, plus at most one burst and
 * (reads) one read.
 *
 * - Reads: what arrives is counted; once the budget is spent, every
 *   connection stops reading (the peers are held back by TCP, not by our
 *   memory) until the bucket is half full again. A read already made is
 *   delivered, so reads can overshoot by one read (up to 64 KiB) per
 *   connection: that debt is repaid before reading resumes.
 * - Writes: a write beyond the budget is held in the wrapper and released to
 *   the transport as the budget refills, shared fairly between the
 *   connections waiting. Twisted instead pauses registered producers and
 *   cannot hold plain writes, so only producers are throttled there. Held
 *   bytes count in `bufferedAmount`; past the transport's high-water mark a
 *   streaming producer is paused and `bufferFull()` runs, at the low-water
 *   mark it resumes and `bufferDrained()` runs; a pull producer is asked for
 *   more once the held bytes are gone; `loseConnection` and
 *   `loseWriteConnection` wait for them (`loseConnection({ timeout })`
 *   counts from the call). A protocol that ignores `bufferFull()` and keeps
 *   writing grows the held queue, as it would grow the transport's buffer.
 * - The wrapped protocol's own `pauseProducing()` / `resumeProducing()` keep
 *   working: reading resumes only when neither it nor the throttle holds it.
 *
 * No timer runs unless something waits for the budget.
 *
 * @example Serving files at 1 MiB/s in all
 * ```ts
 * import { Factory, listen, Protocol, ThrottlingFactory } from "@torsion/protocols";
 *
 * const factory = new ThrottlingFactory(Factory.forProtocol(Protocol), {
 *   writeLimit: 1024 * 1024,
 * });
 * const port = await listen("tcp:0:interface=127.0.0.1", factory);
 * await port.close();
 * ```
 */
export class ThrottlingFactory extends WrappingFactory {
  /** Bytes per second read, or null for no limit. */
  readonly readLimit: number | null;
  /** Bytes per second written, or null for no limit. */
  readonly writeLimit: number | null;
  /** The clock the budgets run on. */
  readonly clock: ReactorTime;
  #read: TokenBucket | null;
  #write: TokenBucket | null;
  #readThrottled = false;
  #readTimer: DelayedCall | null = null;
  #writeTimer: DelayedCall | null = null;
  #throttle: Throttle;

  /**
   * Wrap a factory.
   *
   * @param wrappedFactory The factory that builds the real protocols.
   * @param options `readLimit` and `writeLimit` (bytes per second), `clock`.
   * @throws {RangeError} When a limit is not a finite number above 0.
   */
  constructor(wrappedFactory: Factory, options: ThrottlingOptions = {}) {
    super(wrappedFactory);
    const { readLimit, writeLimit } = options;
    if (readLimit !== undefined) checkPositive(readLimit, "readLimit");
    if (writeLimit !== undefined) checkPositive(writeLimit, "writeLimit");
    this.readLimit = readLimit ?? null;
    this.writeLimit = writeLimit ?? null;
    this.clock = options.clock ?? realClock;
    this.#read = readLimit === undefined
      ? null
      : new TokenBucket(readLimit, this.clock);
    this.#write = writeLimit === undefined
      ? null
      : new TokenBucket(writeLimit, this.clock);
    const isReadThrottled = (): boolean => this.#readThrottled;
    this.#throttle = {
      clock: this.clock,
      get readThrottled(): boolean {
        return isReadThrottled();
      },
      limitsWrites: this.#write !== null,
      read: (n) => this.#onRead(n),
      writeBudget: () => this.#write?.whole ?? Infinity,
      spend: (n) => this.#write?.take(n),
      scheduleWrites: () => this.#scheduleWrites(),
    };
  }

  /** True while reading is paused on every connection, the read budget spent. */
  get readThrottled(): boolean {
    return this.#readThrottled;
  }

  /**
   * Wrap a protocol in the throttling wrapper.
   *
   * @param protocol The protocol to wrap.
   * @param _addr The peer's address.
   * @returns The wrapper.
   */
  override wrapProtocol(protocol: Protocol, _addr: Deno.Addr): ProtocolWrapper {
    return new ThrottlingProtocol(this, protocol, this.#throttle);
  }

  /**
   * A connection is up: it starts paused if reading is throttled now.
   *
   * @param protocol The wrapper.
   */
  override registerProtocol(protocol: ProtocolWrapper): void {
    super.registerProtocol(protocol);
    if (protocol instanceof ThrottlingProtocol) protocol.syncReading();
  }

  /**
   * A connection is gone; with the last one, no timer is left running (the
   * budgets keep their debts for the next connections).
   *
   * @param protocol The wrapper.
   */
  override unregisterProtocol(protocol: ProtocolWrapper): void {
    super.unregisterProtocol(protocol);
    if (this.protocols.size > 0) return;
    this.#readTimer?.cancel();
    this.#readTimer = null;
    this.#readThrottled = false;
    this.#writeTimer?.cancel();
    this.#writeTimer = null;
  }

  #onRead(n: number): void {
    const bucket = this.#read;
    if (bucket === null) return;
    bucket.take(n);
    if (this.#readThrottled || bucket.tokens > 0) return;
    this.#readThrottled = true;
    this.#syncReading();
    this.#resumeReadsWhenRefilled();
  }

  // Reading resumes once the read bucket is back at its threshold; until
  // then (the debt may need more than one wait) a timer checks again.
  #resumeReadsWhenRefilled = (): void => {
    this.#readTimer = null;
    const bucket = this.#read!;
    const wait = bucket.msUntil(bucket.threshold);
    if (wait > 0) {
      this.#readTimer = this.clock.callLater(
        wait,
        this.#resumeReadsWhenRefilled,
      );
      return;
    }
    this.#readThrottled = false;
    this.#syncReading();
  };

  #syncReading(): void {
    for (const protocol of [...this.protocols]) {
      if (protocol instanceof ThrottlingProtocol) protocol.syncReading();
    }
  }

  #scheduleWrites(): void {
    const bucket = this.#write;
    if (bucket === null || this.#writeTimer !== null) return;
    this.#writeTimer = this.clock.callLater(
      bucket.msUntil(bucket.threshold),
      this.#releaseWrites,
    );
  }

  // Share the budget between the connections holding bytes: equal shares,
  // what one cannot use going round to the others. The budget is taken once:
  // on real time the bucket refills while this runs, and re-reading it would
  // release a few bytes at a time until nothing is held, holding the event
  // loop all along.
  #releaseWrites = (): void => {
    this.#writeTimer = null;
    const bucket = this.#write!;
    let budget = bucket.whole;
    let waiting = this.#waitingWriters();
    while (budget > 0 && waiting.length > 0) {
      const share = Math.max(1, Math.floor(budget / waiting.length));
      for (const protocol of waiting) {
        // A wrapped protocol may write (and spend) while being released to.
        const n = Math.min(share, budget, bucket.whole);
        if (n <= 0) {
          budget = 0;
          break;
        }
        budget -= protocol.release(n);
      }
      waiting = this.#waitingWriters();
    }
    if (waiting.length > 0) this.#scheduleWrites();
  };

  #waitingWriters(): ThrottlingProtocol[] {
    const waiting: ThrottlingProtocol[] = [];
    for (const protocol of this.protocols) {
      if (protocol instanceof ThrottlingProtocol && protocol.heldBytes > 0) {
        waiting.push(protocol);
      }
    }
    return waiting;
  }
}
