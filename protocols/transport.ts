/**
 * The `Transport` interface: what a protocol can do with its connection
 * (Twisted's `ITransport`, `ITCPTransport`, `IConsumer` and
 * `IHalfCloseableDescriptor` in one), and `Producer`, a source of data that
 * a transport paces (Twisted's `IPushProducer` / `IPullProducer`).
 *
 * One implementation runs over a `Deno.Conn` (`ConnTransport`: TCP, TLS,
 * Unix sockets); two live in memory for tests (`StringTransport` and the
 * transports of `connectedPair` in `@torsion/protocols/testing`).
 *
 * Writes are buffered, never block and never throw for a closed peer:
 *
 * ```text
 * write() ─▶ [ write buffer ] ─▶ socket        bufferedAmount = bytes waiting
 *             > highWaterMark (64 KiB): bufferFull(), push producer paused
 *            <= lowWaterMark  (16 KiB): bufferDrained(), push producer resumed
 * ```
 *
 * @module
 */

/**
 * A source of data written to a transport. A streaming (push) producer writes
 * whenever it likes and is told to pause and resume as the transport's buffer
 * crosses its water marks (Twisted's `IPushProducer`); a pull producer writes
 * once each time `resumeProducing()` is called, which the transport does
 * whenever its buffer has drained (Twisted's `IPullProducer`). Register one
 * with `transport.registerProducer(producer, streaming)`.
 *
 * @example A pull producer that sends a fixed number of chunks
 * ```ts
 * import assert from "node:assert/strict";
 * import type { Producer, Transport } from "@torsion/protocols";
 * import { StringTransport } from "@torsion/protocols/testing";
 *
 * class Countdown implements Producer {
 *   #transport: Transport;
 *   #left: number;
 *   constructor(transport: Transport, from: number) {
 *     this.#transport = transport;
 *     this.#left = from;
 *   }
 *   resumeProducing(): void {
 *     this.#transport.write(`${this.#left}\n`);
 *     if (--this.#left === 0) this.#transport.unregisterProducer();
 *   }
 *   stopProducing(): void {
 *     this.#left = 0;
 *   }
 * }
 *
 * const transport = new StringTransport();
 * transport.registerProducer(new Countdown(transport, 3), false);
 * // A real transport pulls each time its buffer drains; by hand:
 * while (transport.producer !== null) transport.producer.resumeProducing();
 * assert.equal(transport.valueText(), "3\n2\n1\n");
 * ```
 */
export interface Producer {
  /** Write more (pull producer), or start writing again (push producer). */
  resumeProducing(): void;
  /** Stop writing for now: the consumer's buffer is over its high-water mark. */
  pauseProducing?(): void;
  /** Stop for good: the consumer has gone away. */
  stopProducing(): void;
}

/** Options of `Transport.loseConnection`. */
export interface LoseConnectionOptions {
  /**
   * Milliseconds to wait for the peer to take everything written; what is
   * still buffered after that is dropped and the connection aborted.
   * Default: wait as long as the peer keeps the connection open.
   */
  timeout?: number;
}

/** Options of `Transport.startTLS`. */
export interface StartTlsOptions {
  /** Extra trusted CA certificates, PEM strings, as in `Deno.connectTls`. */
  caCerts?: string[];
  /** The name to verify the server's certificate against. */
  hostname?: string;
  /** Protocols to offer through ALPN. */
  alpnProtocols?: string[];
}

/**
 * A connection as a protocol sees it (`this.transport`). Writes never block
 * and never throw for a closed peer: bytes are buffered and flushed by the
 * transport, and consecutive writes in one tick leave as one write to the
 * socket.
 *
 * The bytes passed to `write` belong to the transport until they are flushed:
 * don't change an array after writing it.
 *
 * @example Writing and closing from a protocol
 * ```ts
 * import assert from "node:assert/strict";
 * import { Protocol } from "@torsion/protocols";
 * import { StringTransport } from "@torsion/protocols/testing";
 *
 * class Qotd extends Protocol {
 *   override connectionMade(): void {
 *     this.transport!.write("An apple a day keeps the doctor away\r\n");
 *     this.transport!.loseConnection(); // flushes the quote, then closes
 *   }
 * }
 *
 * const transport = new StringTransport();
 * new Qotd().makeConnection(transport);
 * assert.equal(transport.valueText(), "An apple a day keeps the doctor away\r\n");
 * assert.equal(transport.disconnecting, true);
 * ```
 */
export interface Transport {
  /**
   * Queue bytes (strings are sent as UTF-8) to send to the peer. Never
   * blocks and never throws for a closed peer (after a close, writes are
   * dropped).
   *
   * The bytes are read, never modified: a transport (or a wrapper) that
   * transforms what it sends writes its result elsewhere. The senders of the
   * framing protocols rely on it: the prefix of a short frame is one shared
   * array. The caller, for its part, leaves the bytes alone until they have
   * left (large chunks are queued by reference).
   *
   * @param data The bytes or text to send.
   *
   * @throws {TypeError} When `data` is neither bytes nor a string.
   *
   * @example Text and bytes
   * ```ts
   * import assert from "node:assert/strict";
   * import { StringTransport } from "@torsion/protocols/testing";
   *
   * const transport = new StringTransport();
   * transport.write("hé");
   * transport.write(new Uint8Array([0x21]));
   * assert.deepEqual(transport.value(), new Uint8Array([0x68, 0xc3, 0xa9, 0x21]));
   * ```
   */
  write(data: Uint8Array | string): void;
  /**
   * Queue several chunks, in order; the same as writing each of them.
   *
   * @param chunks The bytes or texts to send.
   * @throws {TypeError} When a chunk is neither bytes nor a string; nothing
   *   of the sequence is written then.
   *
   * @example A header and a body
   * ```ts
   * import assert from "node:assert/strict";
   * import { StringTransport } from "@torsion/protocols/testing";
   *
   * const transport = new StringTransport();
   * transport.writeSequence(["HTTP/1.0 200 OK\r\n\r\n", "hello"]);
   * assert.equal(transport.valueText(), "HTTP/1.0 200 OK\r\n\r\nhello");
   * ```
   */
  writeSequence(chunks: Iterable<Uint8Array | string>): void;
  /**
   * Close once everything written has been handed to the peer (and a
   * registered producer has unregistered). `connectionLost(ConnectionDone)`
   * follows. Calling it again does nothing more.
   *
   * @param options `timeout`: abort if the peer has not taken everything in time.
   *
   * @example Saying goodbye, with a bound on a peer that stopped reading
   * ```ts
   * import assert from "node:assert/strict";
   * import { LineReceiver } from "@torsion/protocols";
   * import { StringTransport } from "@torsion/protocols/testing";
   *
   * class Session extends LineReceiver {
   *   override lineReceived(line: string): void {
   *     if (line !== "QUIT") return;
   *     this.sendLine("221 bye");
   *     this.transport!.loseConnection({ timeout: 5000 });
   *   }
   * }
   *
   * const transport = new StringTransport();
   * const session = new Session();
   * session.makeConnection(transport);
   * session.dataReceived(new TextEncoder().encode("QUIT\r\n"));
   * assert.equal(transport.valueText(), "221 bye\r\n");
   * assert.equal(transport.disconnecting, true);
   * ```
   */
  loseConnection(options?: LoseConnectionOptions): void;
  /**
   * Close now: buffered bytes are dropped and a registered producer ignored.
   * `connectionLost(ConnectionAborted)` follows.
   *
   * @example Dropping a peer that broke the protocol
   * ```ts
   * import assert from "node:assert/strict";
   * import { Protocol } from "@torsion/protocols";
   * import { StringTransport } from "@torsion/protocols/testing";
   *
   * class Strict extends Protocol {
   *   override dataReceived(data: Uint8Array): void {
   *     if (data[0] !== 0x01) this.transport!.abortConnection();
   *   }
   * }
   *
   * const transport = new StringTransport();
   * const strict = new Strict();
   * strict.makeConnection(transport);
   * strict.dataReceived(new Uint8Array([0xff]));
   * assert.equal(transport.disconnected, true);
   * ```
   */
  abortConnection(): void;
  /**
   * Half-close: send end-of-stream once everything written is flushed, and
   * keep reading (Twisted's `ITCPTransport.loseWriteConnection`). The peer
   * sees the end of its input and can still answer.
   *
   * @example A client that sends its request, then waits for the answer
   * ```ts
   * import assert from "node:assert/strict";
   * import { Protocol } from "@torsion/protocols";
   * import { connectedPair } from "@torsion/protocols/testing";
   *
   * class Echo extends Protocol {
   *   override dataReceived(data: Uint8Array): void {
   *     this.transport!.write(data);
   *   }
   * }
   * class Request extends Protocol {
   *   answer = "";
   *   override connectionMade(): void {
   *     this.transport!.write("all of it");
   *     this.transport!.loseWriteConnection();
   *   }
   *   override dataReceived(data: Uint8Array): void {
   *     this.answer += new TextDecoder().decode(data);
   *   }
   * }
   *
   * const pair = connectedPair(new Echo(), new Request());
   * pair.flush();
   * assert.equal(pair.client.answer, "all of it");
   * assert.equal(pair.client.connected, false); // Echo closed after its reply
   * ```
   */
  loseWriteConnection(): void;
  /**
   * The address of the other side (behind a `haproxy:` endpoint, the
   * client's address from the PROXY header).
   *
   * @returns The peer's address.
   *
   * @example Greeting the peer by address
   * ```ts
   * import assert from "node:assert/strict";
   * import { Protocol } from "@torsion/protocols";
   * import { StringTransport } from "@torsion/protocols/testing";
   *
   * class Hello extends Protocol {
   *   override connectionMade(): void {
   *     const peer = this.transport!.getPeer() as Deno.NetAddr;
   *     this.transport!.write(`hello ${peer.hostname}\n`);
   *   }
   * }
   *
   * const transport = new StringTransport({
   *   peer: { transport: "tcp", hostname: "192.0.2.7", port: 40000 },
   * });
   * new Hello().makeConnection(transport);
   * assert.equal(transport.valueText(), "hello 192.0.2.7\n");
   * ```
   */
  getPeer(): Deno.Addr;
  /**
   * The address of this side.
   *
   * @returns The local address.
   */
  getHost(): Deno.Addr;
  /** True once `loseConnection` (or `abortConnection`) has been called. */
  readonly disconnecting: boolean;
  /** Bytes written but not yet handed to the operating system. */
  readonly bufferedAmount: number;
  /** Buffer size above which producers are paused and `bufferFull()` is called. */
  highWaterMark: number;
  /** Buffer size at which producers resume and `bufferDrained()` is called. */
  lowWaterMark: number;
  /** The protocol negotiated through ALPN on a TLS connection, else null. */
  readonly alpnProtocol: string | null;
  /**
   * Stop reading from the peer until `resumeProducing()`: the peer is held
   * back by TCP flow control, not by this process's memory.
   *
   * @example Not reading while a slow job runs
   * ```ts
   * import assert from "node:assert/strict";
   * import { Protocol } from "@torsion/protocols";
   * import { StringTransport } from "@torsion/protocols/testing";
   *
   * class Worker extends Protocol {
   *   override dataReceived(_data: Uint8Array): void {
   *     this.transport!.pauseProducing();
   *     queueMicrotask(() => this.transport!.resumeProducing()); // the job is done
   *   }
   * }
   *
   * const transport = new StringTransport();
   * const worker = new Worker();
   * worker.makeConnection(transport);
   * worker.dataReceived(new Uint8Array(1));
   * assert.equal(transport.producerState, "paused");
   * await Promise.resolve();
   * assert.equal(transport.producerState, "producing");
   * ```
   */
  pauseProducing(): void;
  /** Read from the peer again after `pauseProducing()`. */
  resumeProducing(): void;
  /** Stop reading for good and close the connection (as `loseConnection`). */
  stopProducing(): void;
  /**
   * Register the producer of what this transport sends (Twisted's
   * `IConsumer.registerProducer`). A push producer (`streaming` true) is
   * paused above the high-water mark and resumed at the low-water mark; a
   * pull producer is asked for more (`resumeProducing()`) each time the
   * buffer has drained. `loseConnection` waits for the producer to
   * unregister; a closed connection stops it (`stopProducing()`).
   *
   * @param producer The producer.
   * @param streaming True for a push producer, false for a pull producer.
   * @throws {Error} When a producer is already registered.
   *
   * @example Registering a push producer, once
   * ```ts
   * import assert from "node:assert/strict";
   * import type { Producer } from "@torsion/protocols";
   * import { StringTransport } from "@torsion/protocols/testing";
   *
   * const ticker: Producer = {
   *   resumeProducing(): void {},
   *   pauseProducing(): void {},
   *   stopProducing(): void {},
   * };
   * const transport = new StringTransport();
   * transport.registerProducer(ticker, true);
   * assert.equal(transport.producer, ticker);
   * assert.throws(() => transport.registerProducer(ticker, true), Error);
   * transport.unregisterProducer();
   * ```
   */
  registerProducer(producer: Producer, streaming: boolean): void;
  /** Forget the registered producer; a waiting `loseConnection` proceeds. */
  unregisterProducer(): void;
  /**
   * Turn Nagle's algorithm off (true, the default) or on (false); no-op where
   * the socket has no such option.
   *
   * @param on Whether to send small segments at once.
   */
  setTcpNoDelay(on: boolean): void;
  /**
   * Turn TCP keep-alive probes on or off; no-op where the socket has none.
   *
   * @param on Whether to send keep-alive probes.
   */
  setTcpKeepAlive(on: boolean): void;
  /**
   * Upgrade a client connection to TLS in place (STARTTLS). Present only on
   * client connections that can be upgraded.
   *
   * @param options Trust anchors, server name and ALPN protocols.
   * @returns Resolves once the handshake is done.
   */
  startTLS?(options?: StartTlsOptions): Promise<void>;
}
