/**
 * The `Transport` interface: what a protocol can do with its connection.
 *
 * One implementation runs over a `Deno.Conn` (TCP, TLS, Unix sockets); another
 * lives in memory for tests (`StringTransport` in `@torsion/protocols/testing`).
 *
 * @module
 */

/**
 * A source of data written to a transport. A streaming (push) producer writes
 * whenever it likes and is told to pause and resume as the transport's buffer
 * crosses its water marks; a pull producer writes once each time
 * `resumeProducing()` is called, which the transport does whenever its buffer
 * has drained.
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
 * A connection as a protocol sees it. Writes never block and never throw for
 * a closed peer: bytes are buffered and flushed by the transport, and
 * consecutive writes in one tick leave as one write to the socket.
 *
 * The bytes passed to `write` belong to the transport until they are flushed:
 * don't change an array after writing it.
 */
export interface Transport {
  /**
   * Queue bytes (strings are sent as UTF-8) to send to the peer.
   *
   * @param data The bytes or text to send.
   */
  write(data: Uint8Array | string): void;
  /**
   * Queue several chunks, in order; the same as writing each of them.
   *
   * @param chunks The bytes or texts to send.
   */
  writeSequence(chunks: Iterable<Uint8Array | string>): void;
  /**
   * Close once everything written has been handed to the peer (and a
   * registered producer has unregistered). `connectionLost(ConnectionDone)`
   * follows.
   *
   * @param options `timeout`: abort if the peer has not taken everything in time.
   */
  loseConnection(options?: LoseConnectionOptions): void;
  /**
   * Close now: buffered bytes are dropped and a registered producer ignored.
   * `connectionLost(ConnectionAborted)` follows.
   */
  abortConnection(): void;
  /**
   * Half-close: send end-of-stream once everything written is flushed, and
   * keep reading.
   */
  loseWriteConnection(): void;
  /**
   * The address of the other side.
   *
   * @returns The peer's address.
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
  /** Stop reading from the peer until `resumeProducing()`. */
  pauseProducing(): void;
  /** Read from the peer again after `pauseProducing()`. */
  resumeProducing(): void;
  /** Stop reading for good and close the connection (as `loseConnection`). */
  stopProducing(): void;
  /**
   * Register the producer of what this transport sends.
   *
   * @param producer The producer.
   * @param streaming True for a push producer, false for a pull producer.
   * @throws {Error} When a producer is already registered.
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
