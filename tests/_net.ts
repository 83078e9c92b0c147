// Shared helpers of the socket tests: a protocol that records its events, and
// small client-side utilities over real loopback connections.

import {
  type ConnectionClosed,
  Factory,
  listen,
  type ListeningPort,
  type ListenOptions,
  Protocol,
} from "../mod.ts";

export const encoder = new TextEncoder();
export const decoder = new TextDecoder();

/** A protocol that records every event and exposes promises for them. */
export class Recorder extends Protocol {
  events: string[] = [];
  received: Uint8Array[] = [];
  reason: ConnectionClosed | null = null;
  made = Promise.withResolvers<void>();
  lost = Promise.withResolvers<ConnectionClosed>();
  #dataWaiters: { bytes: number; resolve: () => void }[] = [];

  override connectionMade(): void {
    this.events.push("connectionMade");
    this.made.resolve();
  }

  override dataReceived(data: Uint8Array): void {
    this.events.push("dataReceived");
    this.received.push(data);
    const total = this.receivedBytes;
    this.#dataWaiters = this.#dataWaiters.filter((w) => {
      if (total < w.bytes) return true;
      w.resolve();
      return false;
    });
  }

  override connectionLost(reason: ConnectionClosed): void {
    this.events.push(`connectionLost:${reason.name}`);
    this.reason = reason;
    this.lost.resolve(reason);
  }

  get receivedBytes(): number {
    return this.received.reduce((n, chunk) => n + chunk.length, 0);
  }

  get text(): string {
    return decoder.decode(concat(this.received));
  }

  /** Resolves once at least `bytes` bytes have arrived in total. */
  waitFor(bytes: number): Promise<void> {
    if (this.receivedBytes >= bytes) return Promise.resolve();
    const { promise, resolve } = Promise.withResolvers<void>();
    this.#dataWaiters.push({ bytes, resolve });
    return promise;
  }
}

/** A factory handing out the given protocol instances in order (and recording them). */
export class ListFactory<P extends Protocol> extends Factory<P> {
  built: P[] = [];
  #next = Promise.withResolvers<P>();
  constructor(private readonly make: () => P | null) {
    super();
  }

  override buildProtocol(_addr: Deno.Addr): P | null {
    const protocol = this.make();
    if (protocol === null) return null;
    protocol.factory = this as unknown as Factory;
    this.built.push(protocol);
    this.#next.resolve(protocol);
    this.#next = Promise.withResolvers<P>();
    return protocol;
  }

  /** The protocol built for the `index`th connection, once built. */
  async nth(index: number): Promise<P> {
    while (this.built.length <= index) await this.#next.promise;
    return this.built[index];
  }
}

/** Errors reported by a port (pass `onError`), with a promise for the next one. */
export class Errors {
  seen: unknown[] = [];
  #next = Promise.withResolvers<unknown>();
  onError = (error: unknown): void => {
    this.seen.push(error);
    this.#next.resolve(error);
    this.#next = Promise.withResolvers<unknown>();
  };

  /** The `index`th error, once reported. */
  async nth(index: number): Promise<unknown> {
    while (this.seen.length <= index) await this.#next.promise;
    return this.seen[index];
  }
}

export function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

export function serve(
  factory: Factory,
  options: ListenOptions = {},
): Promise<ListeningPort> {
  return listen("tcp:0:interface=127.0.0.1", factory, options);
}

export function portOf(port: ListeningPort): number {
  return (port.addr as Deno.NetAddr).port;
}

export function connectTo(port: ListeningPort): Promise<Deno.TcpConn> {
  return Deno.connect({ hostname: "127.0.0.1", port: portOf(port) });
}

/** Everything the peer sends until it closes (or resets: what came before). */
export async function readAll(conn: Deno.Conn): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  const buffer = new Uint8Array(256 * 1024);
  while (true) {
    let n: number | null;
    try {
      n = await conn.read(buffer);
    } catch {
      break;
    }
    if (n === null) break;
    chunks.push(buffer.slice(0, n));
  }
  return concat(chunks);
}

/** Exactly `count` bytes (or fewer if the peer closes first). */
export async function readN(
  conn: Deno.Conn,
  count: number,
): Promise<Uint8Array> {
  const out = new Uint8Array(count);
  let filled = 0;
  while (filled < count) {
    const n = await conn.read(out.subarray(filled));
    if (n === null) break;
    filled += n;
  }
  return out.subarray(0, filled);
}

/**
 * Resolves once `read()` has stopped changing for `quietMs`: the pipe is
 * stalled. Not a timing assertion: a slow machine only waits longer.
 */
export async function settled(
  read: () => number,
  quietMs = 150,
): Promise<number> {
  let last = read();
  while (true) {
    await new Promise((resolve) => setTimeout(resolve, quietMs));
    const now = read();
    if (now === last) return now;
    last = now;
  }
}

/** Deterministic pseudo-random bytes. */
export function pattern(size: number, seed = 1): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}
