/**
 * `ProtocolWrapper`: a protocol that stands between a transport and another
 * protocol, as that protocol's transport (Twisted's design).
 *
 * @module
 */

import type { ConnectionClosed } from "../errors.ts";
import { Protocol } from "../protocol.ts";
import type {
  LoseConnectionOptions,
  Producer,
  StartTlsOptions,
  Transport,
} from "../transport.ts";
import type { WrappingFactory } from "./wrapping_factory.ts";

/**
 * Wraps one protocol and acts as its transport. The real transport drives
 * the wrapper; the wrapper passes every event on to the wrapped protocol and
 * every transport call on to the real transport, so a subclass can watch or
 * change any of them (count bytes, reset a timer, hold writes) by overriding
 * one method and calling `super`.
 *
 * ```text
 *  real transport ──events──▶ ProtocolWrapper ──events──▶ wrapped protocol
 *  real transport ◀──calls─── ProtocolWrapper ◀──calls─── wrapped protocol
 *                             (its transport)
 * ```
 *
 * Nothing is lost on the way, half-close included (Twisted's wrappers drop
 * it: Twisted #4700): the wrapper has a `readConnectionLost` exactly when the
 * wrapped protocol has one, so the real transport treats the pair as the
 * wrapped protocol alone would be treated. A half-closeable protocol hears
 * the peer's end-of-stream and closes when it likes; any other protocol is
 * closed by the transport once its replies are flushed. `getPeer()` and
 * `getHost()` are the real transport's.
 *
 * Wrappers stack: a wrapper is a protocol, so it can be wrapped in turn.
 *
 * @example Counting what a protocol writes
 * ```ts
 * import assert from "node:assert/strict";
 * import { Factory, Protocol, ProtocolWrapper, WrappingFactory } from "@torsion/protocols";
 * import { StringTransport } from "@torsion/protocols/testing";
 *
 * class Counting extends ProtocolWrapper {
 *   writes = 0;
 *   override write(data: Uint8Array | string): void {
 *     this.writes++;
 *     super.write(data);
 *   }
 * }
 * class Hello extends Protocol {
 *   override connectionMade(): void {
 *     this.transport!.write("hello");
 *   }
 * }
 * const factory = new WrappingFactory(Factory.forProtocol(Hello));
 * const wrapper = new Counting(factory, new Hello());
 * wrapper.makeConnection(new StringTransport());
 * assert.equal(wrapper.writes, 1);
 * ```
 */
export class ProtocolWrapper extends Protocol implements Transport {
  /** The protocol this wrapper stands in front of. */
  readonly wrappedProtocol: Protocol;
  /**
   * Upgrade the connection to TLS (STARTTLS): present exactly when the real
   * transport has it, and forwarded to it.
   *
   * @param options Trust anchors, server name and ALPN protocols.
   * @returns Resolves once the handshake is done.
   */
  startTLS?(options?: StartTlsOptions): Promise<void>;

  #wrappingFactory: WrappingFactory;
  #lost = false;
  #halfClose = (): void => this.forwardReadConnectionLost();

  static {
    // `readConnectionLost` is there exactly when the wrapped protocol has
    // one: transports decide what a half-close means by looking for it.
    Object.defineProperty(this.prototype, "readConnectionLost", {
      configurable: true,
      get(this: ProtocolWrapper): (() => void) | undefined {
        return typeof this.wrappedProtocol.readConnectionLost === "function"
          ? this.#halfClose
          : undefined;
      },
    });
  }

  /**
   * Wrap a protocol. `factory` is the wrapping factory (it is told when the
   * connection is made and lost); the wrapped protocol keeps the factory
   * that built it.
   *
   * @param factory The wrapping factory.
   * @param wrappedProtocol The protocol to wrap.
   */
  constructor(factory: WrappingFactory, wrappedProtocol: Protocol) {
    super();
    this.factory = factory;
    this.#wrappingFactory = factory;
    this.wrappedProtocol = wrappedProtocol;
  }

  /**
   * Attach to the real transport, register with the wrapping factory, then
   * connect the wrapped protocol to this wrapper (its `connectionMade` runs).
   *
   * @param transport The real transport.
   */
  override makeConnection(transport: Transport): void {
    this.transport = transport;
    this.connected = true;
    if (typeof transport.startTLS === "function") {
      this.startTLS = (options?: StartTlsOptions): Promise<void> =>
        transport.startTLS!(options);
    }
    this.#wrappingFactory.registerProtocol(this);
    this.connectionMade();
    this.wrappedProtocol.makeConnection(this);
  }

  /**
   * Bytes arrived: passed on to the wrapped protocol.
   *
   * @param data The bytes.
   */
  override dataReceived(data: Uint8Array): void {
    this.wrappedProtocol.dataReceived(data);
  }

  /**
   * The connection is gone: unregister from the wrapping factory, then tell
   * the wrapped protocol. Runs once; the factory is told even when the
   * wrapped protocol's hook throws.
   *
   * @param reason Why the connection ended.
   */
  override connectionLost(reason: ConnectionClosed): void {
    if (this.#lost) return;
    this.#lost = true;
    this.connected = false;
    try {
      this.#wrappingFactory.unregisterProtocol(this);
    } finally {
      this.wrappedProtocol.connected = false;
      this.wrappedProtocol.connectionLost(reason);
    }
  }

  /**
   * The peer half-closed: passed on to the wrapped protocol. Called only when
   * the wrapped protocol has a `readConnectionLost` (see the class docs).
   */
  forwardReadConnectionLost(): void {
    this.wrappedProtocol.readConnectionLost?.();
  }

  /** The write buffer rose above its high-water mark: passed on. */
  override bufferFull(): void {
    this.wrappedProtocol.bufferFull?.();
  }

  /** The write buffer fell to its low-water mark: passed on. */
  override bufferDrained(): void {
    this.wrappedProtocol.bufferDrained?.();
  }

  // Transport: every call goes to the real transport.

  /**
   * Send bytes (strings as UTF-8).
   *
   * @param data The bytes or text.
   * @throws {Error} When the wrapper is not connected to a transport.
   */
  write(data: Uint8Array | string): void {
    this.#real().write(data);
  }

  /**
   * Send several chunks, in order.
   *
   * @param chunks The bytes or texts.
   * @throws {Error} When the wrapper is not connected to a transport.
   */
  writeSequence(chunks: Iterable<Uint8Array | string>): void {
    this.#real().writeSequence(chunks);
  }

  /**
   * Close once everything written is flushed.
   *
   * @param options `timeout` (ms): abort if the peer has not taken it all by then.
   * @throws {Error} When the wrapper is not connected to a transport.
   */
  loseConnection(options?: LoseConnectionOptions): void {
    this.#real().loseConnection(options);
  }

  /**
   * Close now, dropping what is buffered.
   *
   * @throws {Error} When the wrapper is not connected to a transport.
   */
  abortConnection(): void {
    this.#real().abortConnection();
  }

  /**
   * Half-close: send end-of-stream once flushed, and keep reading.
   *
   * @throws {Error} When the wrapper is not connected to a transport.
   */
  loseWriteConnection(): void {
    this.#real().loseWriteConnection();
  }

  /**
   * The real transport's peer address.
   *
   * @returns The address of the other side.
   * @throws {Error} When the wrapper is not connected to a transport.
   */
  getPeer(): Deno.Addr {
    return this.#real().getPeer();
  }

  /**
   * The real transport's local address.
   *
   * @returns The address of this side.
   * @throws {Error} When the wrapper is not connected to a transport.
   */
  getHost(): Deno.Addr {
    return this.#real().getHost();
  }

  /** True once the connection is closing. */
  get disconnecting(): boolean {
    return this.transport?.disconnecting ?? false;
  }

  /** Bytes written and not yet handed to the operating system. */
  get bufferedAmount(): number {
    return this.transport?.bufferedAmount ?? 0;
  }

  /**
   * The real transport's high-water mark (settable).
   *
   * @throws {Error} When the wrapper is not connected to a transport.
   */
  get highWaterMark(): number {
    return this.#real().highWaterMark;
  }
  set highWaterMark(value: number) {
    this.#real().highWaterMark = value;
  }

  /**
   * The real transport's low-water mark (settable).
   *
   * @throws {Error} When the wrapper is not connected to a transport.
   */
  get lowWaterMark(): number {
    return this.#real().lowWaterMark;
  }
  set lowWaterMark(value: number) {
    this.#real().lowWaterMark = value;
  }

  /** The protocol negotiated through ALPN, else null. */
  get alpnProtocol(): string | null {
    return this.transport?.alpnProtocol ?? null;
  }

  /**
   * Stop reading from the peer.
   *
   * @throws {Error} When the wrapper is not connected to a transport.
   */
  pauseProducing(): void {
    this.#real().pauseProducing();
  }

  /**
   * Read from the peer again.
   *
   * @throws {Error} When the wrapper is not connected to a transport.
   */
  resumeProducing(): void {
    this.#real().resumeProducing();
  }

  /**
   * Stop reading for good and close.
   *
   * @throws {Error} When the wrapper is not connected to a transport.
   */
  stopProducing(): void {
    this.#real().stopProducing();
  }

  /**
   * Register the producer of what is sent.
   *
   * @param producer The producer.
   * @param streaming True for push, false for pull.
   * @throws {Error} When a producer is already registered.
   * @throws {Error} When the wrapper is not connected to a transport.
   */
  registerProducer(producer: Producer, streaming: boolean): void {
    this.#real().registerProducer(producer, streaming);
  }

  /**
   * Forget the registered producer.
   *
   * @throws {Error} When the wrapper is not connected to a transport.
   */
  unregisterProducer(): void {
    this.#real().unregisterProducer();
  }

  /**
   * Turn Nagle's algorithm off (true) or on (false).
   *
   * @param on Whether to send small segments at once.
   * @throws {Error} When the wrapper is not connected to a transport.
   */
  setTcpNoDelay(on: boolean): void {
    this.#real().setTcpNoDelay(on);
  }

  /**
   * Turn TCP keep-alive probes on or off.
   *
   * @param on Whether to send keep-alive probes.
   * @throws {Error} When the wrapper is not connected to a transport.
   */
  setTcpKeepAlive(on: boolean): void {
    this.#real().setTcpKeepAlive(on);
  }

  #real(): Transport {
    if (this.transport === null) {
      throw new Error("ProtocolWrapper is not connected to a transport");
    }
    return this.transport;
  }
}
