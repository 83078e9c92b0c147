// In-memory stand-ins for Deno.Conn and Deno.Listener whose every read,
// write and accept the test settles by hand: the orderings that real sockets
// produce only by chance (EOF in the same tick as an abort, data arriving
// while closing, a write finishing after the connection died) made exact.

import { concat } from "../_net.ts";

/** The address of a tcp peer. */
export const tcp = (hostname: string, port: number): Deno.NetAddr => ({
  transport: "tcp",
  hostname,
  port,
});

/** A vsock address: a transport none of torsion's formatters knows. */
export const VSOCK = {
  transport: "vsock",
  cid: 3,
  port: 5000,
} as unknown as Deno.Addr;

type ReadResult = Uint8Array | null | Error;

/** A write handed to the connection, waiting for the test to settle it. */
export interface PendingWrite {
  bytes: Uint8Array;
  resolve(n: number): void;
  reject(error: unknown): void;
}

/**
 * A Deno.Conn driven by the test: `feed` / `end` / `fail` settle reads;
 * writes complete at once (`autoWrite`) or wait in `pendingWrites`.
 */
export class FakeConn implements Deno.Conn {
  localAddr: Deno.Addr = tcp("10.0.0.1", 8007);
  remoteAddr: Deno.Addr = tcp("10.0.0.2", 5555);
  /** Complete each write at once, in full. */
  autoWrite = true;
  /** What was written, in order (completed writes only when autoWrite). */
  written: Uint8Array[] = [];
  pendingWrites: PendingWrite[] = [];
  closed = false;
  writeClosed = false;
  reads = 0;
  refs: string[] = [];
  keepAlive: boolean[] = [];
  /** Thrown by setKeepAlive / setNoDelay when set. */
  optionError: Error | null = null;
  #queued: ReadResult[] = [];
  #reader: {
    p: Uint8Array;
    resolve(n: number | null): void;
    reject(e: unknown): void;
  } | null = null;

  constructor(options: { remoteAddr?: Deno.Addr; localAddr?: Deno.Addr } = {}) {
    if (options.remoteAddr) this.remoteAddr = options.remoteAddr;
    if (options.localAddr) this.localAddr = options.localAddr;
  }

  /** True while a read waits for data. */
  get reading(): boolean {
    return this.#reader !== null;
  }

  /** Bytes for the current or next read. */
  feed(bytes: Uint8Array): void {
    this.#settle(bytes);
  }

  /** End of input for the current or next read. */
  end(): void {
    this.#settle(null);
  }

  /** A read error for the current or next read. */
  fail(error: Error): void {
    this.#settle(error);
  }

  #settle(result: ReadResult): void {
    const reader = this.#reader;
    if (reader === null) {
      this.#queued.push(result);
      return;
    }
    this.#reader = null;
    this.#deliver(reader, result);
  }

  #deliver(
    reader: {
      p: Uint8Array;
      resolve(n: number | null): void;
      reject(e: unknown): void;
    },
    result: ReadResult,
  ): void {
    if (result instanceof Error) reader.reject(result);
    else if (result === null) reader.resolve(null);
    else {
      if (result.length > reader.p.length) {
        throw new Error("FakeConn: fed chunk larger than the read buffer");
      }
      reader.p.set(result);
      reader.resolve(result.length);
    }
  }

  read(p: Uint8Array): Promise<number | null> {
    this.reads++;
    if (this.closed) return Promise.reject(new Deno.errors.BadResource());
    const { promise, resolve, reject } = Promise.withResolvers<number | null>();
    const reader = { p, resolve, reject };
    const next = this.#queued.shift();
    if (next !== undefined) this.#deliver(reader, next);
    else this.#reader = reader;
    return promise;
  }

  write(p: Uint8Array): Promise<number> {
    if (this.closed) return Promise.reject(new Deno.errors.BadResource());
    if (this.autoWrite) {
      this.written.push(p.slice());
      return Promise.resolve(p.length);
    }
    const { promise, resolve, reject } = Promise.withResolvers<number>();
    const bytes = p.slice();
    this.pendingWrites.push({
      bytes,
      resolve: (n) => {
        this.written.push(bytes.subarray(0, n));
        resolve(n);
      },
      reject,
    });
    return promise;
  }

  /** Complete the oldest pending write with `n` bytes (default: all). */
  completeWrite(n?: number): void {
    const write = this.pendingWrites.shift();
    if (!write) throw new Error("FakeConn: no pending write");
    write.resolve(n ?? write.bytes.length);
  }

  /** Everything written so far, as text. */
  text(): string {
    return new TextDecoder().decode(concat(this.written));
  }

  close(): void {
    if (this.closed) throw new Deno.errors.BadResource();
    this.closed = true;
    const reader = this.#reader;
    this.#reader = null;
    reader?.reject(new Deno.errors.BadResource());
  }

  closeWrite(): Promise<void> {
    this.writeClosed = true;
    return Promise.resolve();
  }

  ref(): void {
    this.refs.push("ref");
  }

  unref(): void {
    this.refs.push("unref");
  }

  setNoDelay(_noDelay?: boolean): void {
    if (this.optionError) throw this.optionError;
  }

  setKeepAlive(keepAlive?: boolean): void {
    if (this.optionError) throw this.optionError;
    this.keepAlive.push(keepAlive ?? true);
  }

  readonly writable: WritableStream<Uint8Array<ArrayBufferLike>> =
    new WritableStream<Uint8Array<ArrayBufferLike>>({
      write: async (chunk): Promise<void> => {
        await this.write(chunk);
      },
    });

  #readable: ReadableStream<Uint8Array<ArrayBuffer>> | null = null;
  get readable(): ReadableStream<Uint8Array<ArrayBuffer>> {
    this.#readable ??= new ReadableStream<Uint8Array<ArrayBuffer>>({
      pull: async (controller): Promise<void> => {
        const buffer = new Uint8Array(1024);
        const n = await this.read(buffer);
        if (n === null) controller.close();
        else controller.enqueue(buffer.subarray(0, n));
      },
      cancel: (): void => {
        if (!this.closed) this.close();
      },
    });
    return this.#readable;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * A Deno.Listener handing out what the test pushes: connections or accept
 * errors, in order; accept waits when there is nothing.
 */
export class FakeListener implements Deno.Listener {
  addr: Deno.Addr;
  closed = false;
  /** Thrown by close() when set (after marking the listener closed). */
  closeError: Error | null = null;
  #queued: (Deno.Conn | Error)[] = [];
  #waiting: PromiseWithResolvers<Deno.Conn> | null = null;

  constructor(addr: Deno.Addr = tcp("10.0.0.1", 8007)) {
    this.addr = addr;
  }

  /** True while accept waits. */
  get accepting(): boolean {
    return this.#waiting !== null;
  }

  push(item: Deno.Conn | Error): void {
    const waiting = this.#waiting;
    if (waiting === null) {
      this.#queued.push(item);
      return;
    }
    this.#waiting = null;
    if (item instanceof Error) waiting.reject(item);
    else waiting.resolve(item);
  }

  accept(): Promise<Deno.Conn> {
    if (this.closed) return Promise.reject(new Deno.errors.BadResource());
    const next = this.#queued.shift();
    if (next instanceof Error) return Promise.reject(next);
    if (next !== undefined) return Promise.resolve(next);
    this.#waiting = Promise.withResolvers();
    return this.#waiting.promise;
  }

  close(): void {
    this.closed = true;
    const waiting = this.#waiting;
    this.#waiting = null;
    waiting?.reject(new Deno.errors.BadResource());
    if (this.closeError) throw this.closeError;
  }

  ref(): void {}
  unref(): void {}

  async *[Symbol.asyncIterator](): AsyncIterableIterator<Deno.Conn> {
    while (true) yield await this.accept();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * Let every queued microtask, and every one those queue, run: a timer task
 * runs only once the microtask queue is empty. For fakes only (no I/O).
 */
export function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Replace `console.error` while `fn` runs; returns what it was called with. */
export async function captureConsoleError(
  fn: () => Promise<void> | void,
): Promise<unknown[][]> {
  const calls: unknown[][] = [];
  const original = console.error;
  console.error = (...args: unknown[]): void => {
    calls.push(args);
  };
  try {
    await fn();
  } finally {
    console.error = original;
  }
  return calls;
}
