// The wrapper of ThrottlingFactory: counts what is read against the factory's
// read budget (the factory pauses every connection's reading when it runs
// out), and holds what is written beyond the write budget until the factory
// releases it. With held bytes it is the wrapped protocol's buffer: water
// marks, producers and closes account for them.

import { checkedBytes, checkedChunks } from "../_encode.ts";
import type { ConnectionClosed } from "../errors.ts";
import type { Protocol } from "../protocol.ts";
import type { DelayedCall, ReactorTime } from "../reactor_time.ts";
import type { LoseConnectionOptions, Producer } from "../transport.ts";
import { ProtocolWrapper } from "./protocol_wrapper.ts";
import type { WrappingFactory } from "./wrapping_factory.ts";

/** What a ThrottlingProtocol needs of its factory. */
export interface Throttle {
  readonly clock: ReactorTime;
  /** True while every connection's reading is paused. */
  readonly readThrottled: boolean;
  /** True when there is a write limit (else writes pass straight through). */
  readonly limitsWrites: boolean;
  /** Count `n` bytes read. */
  read(n: number): void;
  /** Whole bytes that may be written now (Infinity without a write limit). */
  writeBudget(): number;
  /** Count `n` bytes written. */
  spend(n: number): void;
  /** Some bytes are held: release them as the budget allows. */
  scheduleWrites(): void;
}

interface PendingClose {
  deadline: number | null;
  timer: DelayedCall | null;
}

export class ThrottlingProtocol extends ProtocolWrapper {
  #throttle: Throttle;
  #lost = false;
  // Reading: what the wrapped protocol asked for, and what the real
  // transport was told (paused if either the protocol or the throttle says so).
  #wantPaused = false;
  #readPaused = false;
  // Writes beyond the budget, as views of what the protocol wrote.
  #held: Uint8Array[] = [];
  #heldHead = 0;
  #heldBytes = 0;
  #producer: Producer | null = null;
  #streaming = false;
  #pullWanted = false;
  #realFull = false;
  #heldFull = false;
  #full = false;
  #closing: PendingClose | null = null;
  #halfClosePending = false;

  constructor(
    factory: WrappingFactory,
    wrappedProtocol: Protocol,
    throttle: Throttle,
  ) {
    super(factory, wrappedProtocol);
    this.#throttle = throttle;
  }

  /** Bytes held back by the write budget. */
  get heldBytes(): number {
    return this.#heldBytes;
  }

  override get disconnecting(): boolean {
    return this.#closing !== null || super.disconnecting;
  }

  override get bufferedAmount(): number {
    return super.bufferedAmount + this.#heldBytes;
  }

  /** Make the real transport's reading state what it should be now. */
  syncReading(): void {
    if (this.#lost || this.transport === null) return;
    const paused = this.#wantPaused || this.#throttle.readThrottled;
    if (paused === this.#readPaused) return;
    this.#readPaused = paused;
    if (paused) super.pauseProducing();
    else super.resumeProducing();
  }

  override dataReceived(data: Uint8Array): void {
    this.#throttle.read(data.length);
    super.dataReceived(data);
  }

  override pauseProducing(): void {
    this.#wantPaused = true;
    this.syncReading();
  }

  override resumeProducing(): void {
    this.#wantPaused = false;
    this.syncReading();
  }

  override write(data: Uint8Array | string): void {
    const bytes = checkedBytes(data);
    if (this.#lost) return;
    if (bytes.length === 0) return;
    if (this.#heldBytes > 0) return this.#hold(bytes);
    const n = Math.min(this.#throttle.writeBudget(), bytes.length);
    if (n > 0) {
      this.#throttle.spend(n);
      super.write(n === bytes.length ? bytes : bytes.subarray(0, n));
    }
    if (n < bytes.length) this.#hold(bytes.subarray(n));
  }

  override writeSequence(chunks: Iterable<Uint8Array | string>): void {
    for (const chunk of checkedChunks(chunks)) this.write(chunk);
  }

  /**
   * Hand up to `max` held bytes to the real transport (the budget is the
   * factory's business; this spends it).
   *
   * @returns How many bytes went.
   */
  release(max: number): number {
    let left = Math.min(max, this.#heldBytes);
    const sent = left;
    if (sent <= 0) return 0;
    this.#throttle.spend(sent);
    this.#heldBytes -= sent;
    const out: Uint8Array[] = [];
    while (left > 0) {
      const chunk = this.#held[this.#heldHead];
      if (chunk.length <= left) {
        out.push(chunk);
        left -= chunk.length;
        this.#heldHead++;
      } else {
        out.push(chunk.subarray(0, left));
        this.#held[this.#heldHead] = chunk.subarray(left);
        left = 0;
      }
    }
    if (this.#heldHead === this.#held.length) {
      this.#held = [];
      this.#heldHead = 0;
    } else if (
      this.#heldHead > 1024 && this.#heldHead * 2 > this.#held.length
    ) {
      this.#held = this.#held.slice(this.#heldHead);
      this.#heldHead = 0;
    }
    for (const chunk of out) super.write(chunk);
    this.#checkFull();
    if (this.#heldBytes === 0) this.#heldEmptied();
    return sent;
  }

  override loseConnection(options?: LoseConnectionOptions): void {
    if (this.#lost) return;
    if (this.#heldBytes === 0) return super.loseConnection(options);
    if (this.#closing !== null) return;
    const timeout = options?.timeout;
    const clock = this.#throttle.clock;
    this.#closing = {
      deadline: timeout === undefined ? null : clock.now() + timeout,
      timer: timeout === undefined
        ? null
        : clock.callLater(timeout, () => this.abortConnection()),
    };
  }

  override abortConnection(): void {
    this.#dropHeld();
    super.abortConnection();
  }

  override loseWriteConnection(): void {
    if (this.#heldBytes === 0) return super.loseWriteConnection();
    this.#halfClosePending = true;
  }

  override registerProducer(producer: Producer, streaming: boolean): void {
    if (!this.#throttle.limitsWrites) {
      return super.registerProducer(producer, streaming);
    }
    if (this.#producer !== null) {
      throw new Error("A producer is already registered");
    }
    this.#producer = producer;
    this.#streaming = streaming;
    this.#pullWanted = false;
    // The real transport sees a stand-in: its pauses are the bufferFull
    // hook's business, and a pull producer is asked for more only once the
    // held bytes are gone too.
    const proxy: Producer = {
      resumeProducing: (): void => {
        if (streaming || this.#producer !== producer) return;
        if (this.#heldBytes === 0) producer.resumeProducing();
        else this.#pullWanted = true;
      },
      pauseProducing: (): void => {},
      stopProducing: (): void => {
        if (this.#producer === producer) this.#producer = null;
        producer.stopProducing();
      },
    };
    super.registerProducer(proxy, streaming);
    if (streaming && this.#full && this.#producer === producer) {
      producer.pauseProducing?.();
    }
  }

  override unregisterProducer(): void {
    if (!this.#throttle.limitsWrites) return super.unregisterProducer();
    this.#producer = null;
    this.#pullWanted = false;
    super.unregisterProducer();
  }

  override bufferFull(): void {
    if (!this.#throttle.limitsWrites) return super.bufferFull();
    this.#realFull = true;
    this.#checkFull();
  }

  override bufferDrained(): void {
    if (!this.#throttle.limitsWrites) return super.bufferDrained();
    this.#realFull = false;
    this.#checkFull();
  }

  override connectionLost(reason: ConnectionClosed): void {
    this.#lost = true;
    this.#dropHeld();
    this.#producer = null;
    super.connectionLost(reason);
  }

  #hold(bytes: Uint8Array): void {
    this.#held.push(bytes);
    this.#heldBytes += bytes.length;
    this.#throttle.scheduleWrites();
    this.#checkFull();
  }

  #dropHeld(): void {
    this.#held = [];
    this.#heldHead = 0;
    this.#heldBytes = 0;
    this.#halfClosePending = false;
    this.#closing?.timer?.cancel();
    this.#closing = null;
  }

  // Everything held went out: what waited for it goes ahead.
  #heldEmptied(): void {
    if (this.#halfClosePending) {
      this.#halfClosePending = false;
      super.loseWriteConnection();
    }
    const closing = this.#closing;
    if (closing !== null) {
      this.#closing = null;
      closing.timer?.cancel();
      const now = this.#throttle.clock.now();
      super.loseConnection(
        closing.deadline === null
          ? undefined
          : { timeout: Math.max(0, closing.deadline - now) },
      );
    }
    const producer = this.#producer;
    if (this.#pullWanted && producer !== null && !this.#lost) {
      this.#pullWanted = false;
      producer.resumeProducing();
    }
  }

  // The wrapped protocol's buffer is full while the real transport's is, or
  // while the held bytes are (each with its own hysteresis between the
  // transport's marks).
  #checkFull(): void {
    if (this.#lost) return;
    const held = this.#heldBytes;
    if (!this.#heldFull && held > this.highWaterMark) this.#heldFull = true;
    else if (this.#heldFull && held <= this.lowWaterMark) {
      this.#heldFull = false;
    }
    const full = this.#realFull || this.#heldFull;
    if (full === this.#full) return;
    this.#full = full;
    const producer = this.#streaming ? this.#producer : null;
    if (full) {
      producer?.pauseProducing?.();
      this.wrappedProtocol.bufferFull?.();
    } else {
      producer?.resumeProducing();
      this.wrappedProtocol.bufferDrained?.();
    }
  }
}
