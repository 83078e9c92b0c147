// The write side of a transport: a queue of chunks flushed by one writer,
// water marks, and the registered producer. Kept apart from the socket so
// that the rules of backpressure live in one place.

import { allocBytes } from "../protocols/_slab.ts";
import type { Producer } from "../protocols/transport.ts";

// Large chunks queued together are copied into one write up to this size; a
// larger chunk is written as it is.
const MAX_BATCH = 64 * 1024;

// A write up to SMALL_WRITE bytes is copied at once into the open tail, a
// TAIL_SIZE buffer that leaves as one write: a framed reply made of a 4-byte
// prefix and a 60-byte payload costs two copies, not two queue entries and a
// second pass. Once its write has completed, a tail goes back to a shared
// pool: the same few buffers stay warm in the cache, where fresh memory per
// flush (and its zero-filling) cost the kernel and the allocator time.
const SMALL_WRITE = 512;
const encoder = new TextEncoder();
const TAIL_SIZE = 4 * 1024;
const MAX_POOLED_TAILS = 64;
const tailPool: Uint8Array[] = [];
// Every tail, by its buffer: what is written from one of these is a tail's
// bytes, and goes back to the pool as the whole tail (no new view per flush).
const tails = new WeakMap<ArrayBufferLike, Uint8Array>();

function newTail(): Uint8Array {
  let tail = tailPool.pop();
  if (tail === undefined) {
    tail = new Uint8Array(TAIL_SIZE);
    tails.set(tail.buffer, tail);
  }
  return tail;
}

// Once nothing reads `bytes` any more: if they are a tail's, pool the tail.
function recycle(bytes: Uint8Array): void {
  const tail = tails.get(bytes.buffer);
  if (tail !== undefined && tailPool.length < MAX_POOLED_TAILS) {
    tailPool.push(tail);
  }
}

// Copy `bytes` into `tail` at `at`; returns the offset after them. A call to
// set() costs more than copying a few bytes by hand.
function copyInto(tail: Uint8Array, at: number, bytes: Uint8Array): number {
  const n = bytes.length;
  if (n <= 8) { for (let i = 0; i < n; i++) tail[at + i] = bytes[i]; }
  else tail.set(bytes, at);
  return at + n;
}

export interface WriteBufferOptions {
  /** Hands bytes to the operating system; resolves with how many it took. */
  write(chunk: Uint8Array): Promise<number>;
  highWaterMark?: number;
  lowWaterMark?: number;
  onSent?(n: number): void;
  /** The buffer rose above the high-water mark. */
  onFull?(): void;
  /** The buffer fell to the low-water mark after being full. */
  onDrained?(): void;
  /** Everything queued has been written. */
  onEmpty(): void;
  /** Writing failed (the peer is gone). */
  onError(error: unknown): void;
  /** A producer's method threw. */
  onProducerError(error: unknown): void;
}

export class WriteBuffer {
  highWaterMark: number;
  lowWaterMark: number;
  #options: WriteBufferOptions;
  // Chunks to write, in order; the open tail (if any) comes after them all.
  #queue: Uint8Array[] = [];
  #tail: Uint8Array | null = null;
  #tailUsed = 0;
  #buffered = 0;
  #flushing = false;
  // The write in flight and how much of it the socket has taken.
  #batch: Uint8Array | null = null;
  #batchSent = 0;
  #scheduled = false;
  #deferred = false;
  #full = false;
  #dead = false;
  #producer: Producer | null = null;
  #streaming = false;
  #producerPaused = false;
  // While held (STARTTLS), only the first #holdCount queued chunks may leave.
  #holdCount = -1;
  #holdDone: (() => void) | null = null;

  constructor(options: WriteBufferOptions) {
    this.#options = options;
    this.highWaterMark = options.highWaterMark ?? 64 * 1024;
    this.lowWaterMark = options.lowWaterMark ?? 16 * 1024;
  }

  get bufferedAmount(): number {
    return this.#buffered;
  }

  get hasProducer(): boolean {
    return this.#producer !== null;
  }

  write(bytes: Uint8Array): void {
    const n = bytes.length;
    if (this.#dead || n === 0) return;
    if (n > SMALL_WRITE) {
      this.#closeTail();
      this.#queue.push(bytes);
    } else {
      const tail = this.#tailWithRoom(n);
      this.#tailUsed = copyInto(tail, this.#tailUsed, bytes);
    }
    this.#added(n);
  }

  // The open tail, with room for `n` more bytes: a new one if need be.
  #tailWithRoom(n: number): Uint8Array {
    const tail = this.#tail;
    if (tail !== null && this.#tailUsed + n <= tail.length) return tail;
    this.#closeTail();
    return this.#tail = newTail();
  }

  // `n` more bytes were queued: check the high-water mark, flush soon.
  #added(n: number): void {
    this.#buffered += n;
    if (!this.#full && this.#buffered > this.highWaterMark) this.#becameFull();
    this.flushSoon();
  }

  // The buffer rose above the high-water mark: pause a streaming producer
  // and tell the protocol.
  #becameFull(): void {
    this.#full = true;
    if (this.#producer !== null && this.#streaming && !this.#producerPaused) {
      this.#producerPaused = true;
      this.callProducer(() => this.#producer?.pauseProducing?.());
      // The producer may have closed the connection: no more hooks then.
      if (this.#dead) return;
    }
    this.#options.onFull?.();
  }

  /**
   * Queue `text` as UTF-8. A short string is encoded straight into the open
   * tail, without an array of its own (4 times cheaper than `encode` for a
   * 60-character line).
   */
  writeString(text: string): void {
    // A UTF-16 code unit takes at most 3 bytes of UTF-8.
    const most = text.length * 3;
    if (this.#dead || most === 0) return;
    if (most > SMALL_WRITE) return this.write(encoder.encode(text));
    const tail = this.#tailWithRoom(most);
    const at = this.#tailUsed;
    const n = encoder.encodeInto(text, tail.subarray(at)).written;
    this.#tailUsed = at + n;
    this.#added(n);
  }

  /**
   * Queue `head`, `payload` and `trailer` (when not null), in order: what
   * `write` does for each, with one pass of bookkeeping.
   */
  writeParts(
    head: Uint8Array,
    payload: Uint8Array,
    trailer: Uint8Array | null,
  ): void {
    const n = head.length + payload.length +
      (trailer === null ? 0 : trailer.length);
    if (this.#dead || n > SMALL_WRITE) {
      this.write(head);
      this.write(payload);
      if (trailer !== null) this.write(trailer);
      return;
    }
    const tail = this.#tailWithRoom(n);
    let at = copyInto(tail, this.#tailUsed, head);
    at = copyInto(tail, at, payload);
    if (trailer !== null) at = copyInto(tail, at, trailer);
    this.#tailUsed = at;
    this.#added(n);
  }

  /**
   * Flush from a microtask, so that writes of this tick leave together; or,
   * after `deferFlush()`, at the next `flushNow()`.
   */
  flushSoon(): void {
    if (this.#flushing || this.#scheduled || this.#dead) return;
    this.#scheduled = true;
    if (!this.#deferred) queueMicrotask(this.#flushTask);
  }

  /**
   * Writes from now until `flushNow()` leave at that call: the transport
   * calls it around `dataReceived`, saving a microtask per read.
   */
  deferFlush(): void {
    this.#deferred = true;
  }

  // One closure for every scheduled flush, not one per write.
  #flushTask = (): void => {
    if (this.#scheduled) this.#flush();
  };

  /** Start a scheduled flush now rather than from its microtask. */
  flushNow(): void {
    this.#deferred = false;
    if (this.#scheduled) this.#flush();
  }

  /**
   * Let what is queued now go out, and hold what is written from now on
   * until `release()`: the bytes before a STARTTLS go in the clear, those
   * after it through TLS.
   *
   * @returns Resolves once what was queued before the call is written.
   */
  hold(): Promise<void> {
    this.#closeTail();
    this.#holdCount = this.#queue.length;
    const { promise, resolve } = Promise.withResolvers<void>();
    this.#holdDone = resolve;
    if (this.#holdCount === 0 && !this.#flushing) this.#heldEmpty();
    else this.flushSoon();
    return promise;
  }

  /** Write again what was held. */
  release(): void {
    this.#holdCount = -1;
    this.#holdDone = null;
    this.flushSoon();
  }

  #heldEmpty(): void {
    const done = this.#holdDone;
    this.#holdDone = null;
    done?.();
  }

  /** Drop everything queued; no more writes are taken. */
  clear(): void {
    this.#dead = true;
    this.#queue = [];
    // A tail may still be read by a write in flight: none goes back.
    this.#tail = null;
    this.#buffered = 0;
    // A STARTTLS waiting for its plaintext to leave learns that it never will.
    this.#heldEmpty();
  }

  registerProducer(producer: Producer, streaming: boolean): void {
    if (this.#producer !== null) {
      throw new Error("A producer is already registered");
    }
    this.#producer = producer;
    this.#streaming = streaming;
    this.#producerPaused = false;
    if (streaming) {
      if (this.#full) {
        this.#producerPaused = true;
        this.callProducer(() => producer.pauseProducing?.());
      }
    } else {
      this.callProducer(() => producer.resumeProducing());
    }
  }

  unregisterProducer(): void {
    this.#producer = null;
    this.#producerPaused = false;
  }

  /** The consumer is gone: tell the producer to stop, and forget it. */
  stopProducer(): void {
    const producer = this.#producer;
    if (producer === null) return;
    this.#producer = null;
    this.callProducer(() => producer.stopProducing());
  }

  callProducer(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.#options.onProducerError(error);
    }
  }

  // One write at a time: #send hands the batch to the socket, #onWritten
  // goes on with the rest of it, then with the next batch (#writeNext); the
  // last one ends the flush. Callbacks rather than an async function: no
  // generator and promise of its own per flush.
  #flush(): void {
    this.#scheduled = false;
    if (this.#dead) return;
    this.#flushing = true;
    this.#writeNext();
  }

  #writeNext(): void {
    if (this.#holdCount !== 0 && this.#hasQueued()) {
      const batch = this.#batch = this.#takeBatch();
      this.#batchSent = 0;
      return this.#send(batch);
    }
    this.#flushing = false;
    if (this.#holdCount === 0) return this.#heldEmpty();
    if (this.#producer !== null && !this.#streaming) {
      const producer = this.#producer;
      this.callProducer(() => producer.resumeProducing());
      if (this.#hasQueued()) return this.flushSoon();
    }
    this.#options.onEmpty();
  }

  #send(bytes: Uint8Array): void {
    let written: Promise<number>;
    try {
      written = this.#options.write(bytes);
    } catch (error) {
      return this.#onWriteFailed(error);
    }
    written.then(this.#onWritten, this.#onWriteFailed);
  }

  #onWritten = (n: number): void => {
    if (this.#dead) return this.#stopFlushing();
    const batch = this.#batch!;
    this.#batchSent += n;
    this.#buffered -= n;
    try {
      this.#options.onSent?.(n);
      this.#checkLowWater();
    } catch (error) {
      // A hook that throws ends the flush as a failed write would.
      return this.#onWriteFailed(error);
    }
    // bufferDrained, or the producer it resumed, may have closed the
    // connection: nothing more is written then.
    if (this.#dead) return this.#stopFlushing();
    if (this.#batchSent < batch.length) {
      return this.#send(batch.subarray(this.#batchSent));
    }
    this.#batch = null;
    recycle(batch);
    this.#writeNext();
  };

  #onWriteFailed = (error: unknown): void => {
    this.#stopFlushing();
    if (!this.#dead) this.#options.onError(error);
  };

  #stopFlushing(): void {
    this.#flushing = false;
    this.#batch = null;
  }

  #checkLowWater(): void {
    if (!this.#full || this.#buffered > this.lowWaterMark) return;
    this.#full = false;
    // Announced before the producer resumes: what it writes may fill the
    // buffer again, and bufferFull must then come after bufferDrained.
    this.#options.onDrained?.();
    if (this.#full) return; // bufferDrained filled it again: stay paused
    const producer = this.#producer;
    if (producer !== null && this.#streaming && this.#producerPaused) {
      this.#producerPaused = false;
      this.callProducer(() => producer.resumeProducing());
    }
  }

  #hasQueued(): boolean {
    return this.#queue.length > 0 || this.#tail !== null;
  }

  // Queue the tail's bytes.
  #closeTail(): void {
    const tail = this.#tail;
    if (tail === null) return;
    const used = this.#tailUsed;
    this.#tail = null;
    this.#tailUsed = 0;
    this.#queue.push(used === tail.length ? tail : tail.subarray(0, used));
  }

  // Take the next write: the chunks queued first, copied into one buffer
  // when several fit in MAX_BATCH, else the first as it is. The tail joins
  // them, unless a hold keeps it back.
  #takeBatch(): Uint8Array {
    const queue = this.#queue;
    if (this.#holdCount === -1) this.#closeTail();
    const limit = this.#holdCount === -1 ? queue.length : this.#holdCount;
    let count = 1;
    let total = queue[0].length;
    while (count < limit && total + queue[count].length <= MAX_BATCH) {
      total += queue[count++].length;
    }
    if (this.#holdCount !== -1) this.#holdCount -= count;
    if (count === 1) return queue.shift()!;
    const batch = allocBytes(total);
    let offset = 0;
    for (let i = 0; i < count; i++) {
      const chunk = queue[i];
      batch.set(chunk, offset);
      offset += chunk.length;
      recycle(chunk);
    }
    queue.splice(0, count);
    return batch;
  }
}
