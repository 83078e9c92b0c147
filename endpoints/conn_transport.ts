/**
 * `ConnTransport`: the `Transport` over a `Deno.Conn` (TCP, TLS, Unix).
 *
 * Reading: one `conn.read()` at a time into a buffer sized to what arrives
 * (small for an idle connection, doubled while reads fill it); a small read
 * is copied out into a shared slab, a large one keeps its own buffer, so a
 * chunk handed to `dataReceived` is never written into again.
 *
 * Writing: writes are queued and flushed together, so everything written in
 * one tick leaves as one `conn.write()`: right after `dataReceived` returns
 * for writes made in it, else from a microtask.
 *
 * Closing: `loseConnection` flushes, sends end-of-stream, reports
 * `ConnectionDone`, then keeps draining what the peer still sends for a short
 * linger before closing the socket: closing with unread input makes the
 * kernel send a reset, which can destroy the reply in flight to the peer.
 *
 * @module
 */

import { badData, checkedChunks } from "../protocols/_encode.ts";
import {
  ConnectionAborted,
  type ConnectionClosed,
  ConnectionDone,
  ConnectionLost,
} from "../protocols/errors.ts";
import type { Protocol } from "../protocols/protocol.ts";
import {
  type DelayedCall,
  type ReactorTime,
  realClock,
} from "../protocols/reactor_time.ts";
import type {
  LoseConnectionOptions,
  Producer,
  StartTlsOptions,
  Transport,
} from "../protocols/transport.ts";
import { copyBytes, MAX_SLAB_BYTES } from "../protocols/_slab.ts";
import { writeParts } from "../protocols/_write_parts.ts";
import { WriteBuffer } from "./_write_buffer.ts";
import { peerAddr } from "./_peer_addr.ts";

/** Counters a transport adds to; `ListeningPort.metrics` is one. */
export interface TransportMetrics {
  /** Bytes read from peers. */
  bytesReceived: number;
  /** Bytes handed to the operating system for peers. */
  bytesSent: number;
  /** Exceptions thrown by protocol hooks. */
  errors: number;
}

/** Options of `ConnTransport`. */
export interface ConnTransportOptions {
  /** Reports an exception thrown by a protocol hook. Default: `console.error`. */
  onError?: (error: unknown, protocol: Protocol) => void;
  /** Called once the socket is closed. */
  onClose?: () => void;
  /**
   * Called right after the protocol's `connectionLost`, with the same
   * reason (a client connection tells its factory then; the socket itself
   * may close later, after the linger).
   */
  onConnectionLost?: (reason: ConnectionClosed) => void;
  /** The clock for `loseConnection({ timeout })` and the closing linger. */
  clock?: ReactorTime;
  /** Initial high-water mark in bytes. Default 64 KiB. */
  highWaterMark?: number;
  /** Initial low-water mark in bytes. Default 16 KiB. */
  lowWaterMark?: number;
  /** The ALPN protocol negotiated, for TLS connections. */
  alpnProtocol?: string | null;
  /** The peer address to report instead of the socket's (PROXY protocol). */
  peer?: Deno.Addr;
  /** Counters to add to. */
  metrics?: TransportMetrics;
  /** How long (ms) to drain the peer's input after a clean close. Default 2000. */
  lingerTimeout?: number;
  /**
   * Offer `startTLS` (client connections over TCP): the name the server's
   * certificate is checked against by default.
   */
  tlsHostname?: string;
}

const MIN_READ = 256;
const INITIAL_READ = 1024;
const MAX_READ = 64 * 1024;

type State = "open" | "closing" | "closed";

// Small reads (up to MAX_SLAB_BYTES) go into the transport's own reusable
// buffer and are copied out into a shared slab (see protocols/_slab.ts): one
// new ArrayBuffer per slab rather than one per read. Large reads get a buffer
// of their own.

/**
 * The `Transport` of a `Deno.Conn`. Endpoints make these; use one directly to
 * run a protocol over a connection you opened yourself.
 *
 * @example Running a protocol over a connection of your own
 * ```ts
 * import assert from "node:assert/strict";
 * import { ConnTransport, Protocol } from "@torsion/protocols";
 *
 * // A server that says hello and closes.
 * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const served = listener.accept().then(async (conn) => {
 *   await conn.write(new TextEncoder().encode("hello"));
 *   conn.close();
 * });
 *
 * class Recorder extends Protocol {
 *   received = "";
 *   override dataReceived(data: Uint8Array): void {
 *     this.received += new TextDecoder().decode(data);
 *   }
 * }
 * const conn = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
 * const recorder = new Recorder();
 * const transport = new ConnTransport(conn, recorder);
 * transport.start();
 * await transport.closed; // the server closed: connectionLost(ConnectionDone) ran
 * await served;
 * assert.equal(recorder.received, "hello");
 * ```
 */
export class ConnTransport implements Transport {
  #conn: Deno.Conn;
  #protocol: Protocol;
  #options: ConnTransportOptions;
  #clock: ReactorTime;
  #buffer: WriteBuffer;
  #state: State = "open";
  #disconnecting = false;
  #writeShut = false;
  #shutWhenFlushed = false;
  #readEof = false;
  #readPaused = false;
  #readStopped = false;
  #resumeRead: (() => void) | null = null;
  #closeTimer: DelayedCall | null = null;
  #lingerTimer: DelayedCall | null = null;
  #lostReported = false;
  #closed: Promise<void>;
  #resolveClosed!: () => void;

  /** The ALPN protocol negotiated on a TLS connection, else null. */
  #alpnProtocol: string | null;
  // Set while a STARTTLS upgrade runs: reading waits for it.
  #upgrading: Promise<void> | null = null;
  // The buffer small reads go into, before being copied into a slab.
  #readBuffer: Uint8Array = new Uint8Array(0);
  #tlsStarted = false;

  /**
   * Wrap a connection. Nothing happens until `start()`.
   *
   * @param conn The connection.
   * @param protocol The protocol to drive.
   * @param options Error reporting, clock, water marks, metrics.
   */
  constructor(
    conn: Deno.Conn,
    protocol: Protocol,
    options: ConnTransportOptions = {},
  ) {
    this.#conn = conn;
    this.#protocol = protocol;
    this.#options = options;
    this.#clock = options.clock ?? realClock;
    this.#alpnProtocol = options.alpnProtocol ?? null;
    this.#buffer = new WriteBuffer({
      write: (chunk) => this.#conn.write(chunk),
      highWaterMark: options.highWaterMark,
      lowWaterMark: options.lowWaterMark,
      onSent: (n) => {
        if (options.metrics) options.metrics.bytesSent += n;
      },
      onFull: () => this.#call(() => this.#protocol.bufferFull?.()),
      onDrained: () => this.#call(() => this.#protocol.bufferDrained?.()),
      onEmpty: () => this.#flushed(),
      onError: (error) => this.#lose(error),
      onProducerError: (error) => this.#hookFailed(error),
    });
    this.#closed = new Promise((resolve) => this.#resolveClosed = resolve);
    try {
      (conn as Deno.TcpConn).setNoDelay?.(true);
    } catch {
      // Not a TCP socket, or already gone: nothing to tune.
    }
  }

  /** The ALPN protocol negotiated on a TLS connection, else null. */
  get alpnProtocol(): string | null {
    return this.#alpnProtocol;
  }

  /** The protocol this transport drives. */
  get protocol(): Protocol {
    return this.#protocol;
  }

  /** Resolves once the socket is closed and `connectionLost` was delivered. */
  get closed(): Promise<void> {
    return this.#closed;
  }

  /** True once `loseConnection` or `abortConnection` was called. */
  get disconnecting(): boolean {
    return this.#disconnecting;
  }

  /** Bytes written and not yet handed to the operating system. */
  get bufferedAmount(): number {
    return this.#buffer.bufferedAmount;
  }

  /** Buffer size (bytes) above which producers pause and `bufferFull()` runs. */
  get highWaterMark(): number {
    return this.#buffer.highWaterMark;
  }
  set highWaterMark(value: number) {
    this.#buffer.highWaterMark = value;
  }

  /** Buffer size (bytes) at which producers resume and `bufferDrained()` runs. */
  get lowWaterMark(): number {
    return this.#buffer.lowWaterMark;
  }
  set lowWaterMark(value: number) {
    this.#buffer.lowWaterMark = value;
  }

  /**
   * Attach the protocol (`makeConnection`, so `connectionMade`) and start
   * reading. Call it once.
   */
  start(): void {
    if (!this.#call(() => this.#protocol.makeConnection(this))) return;
    if (this.#state === "closed") return;
    this.#readLoop();
  }

  /**
   * Queue bytes for the peer; ignored once the write side is shut or closed.
   *
   * @param data Bytes, or a string sent as UTF-8.
   * @throws {TypeError} When `data` is neither bytes nor a string.
   */
  write(data: Uint8Array | string): void {
    const text = typeof data === "string";
    if (!text && !(data instanceof Uint8Array)) throw badData(data);
    if (this.#state === "closed" || this.#writeShut) return;
    if (text) this.#buffer.writeString(data);
    else this.#buffer.write(data);
  }

  /**
   * Queue several chunks, in order.
   *
   * @param chunks Bytes or strings.
   * @throws {TypeError} When a chunk is neither bytes nor a string; nothing
   *   of the sequence is written then.
   */
  writeSequence(chunks: Iterable<Uint8Array | string>): void {
    for (const chunk of checkedChunks(chunks)) this.write(chunk);
  }

  /**
   * Queue a framed message: `head`, `payload`, then `trailer` (when not
   * null). The framing receivers' senders use it.
   *
   * @param head The frame's head (a length prefix).
   * @param payload The payload.
   * @param trailer The frame's trailer (a delimiter), or null.
   */
  [writeParts](
    head: Uint8Array,
    payload: Uint8Array,
    trailer: Uint8Array | null,
  ): void {
    if (this.#state === "closed" || this.#writeShut) return;
    this.#buffer.writeParts(head, payload, trailer);
  }

  /**
   * Flush, then close; `connectionLost(ConnectionDone)` follows. Waits for a
   * registered producer to unregister.
   *
   * @param options `timeout` (ms): abort if the peer has not taken everything by then.
   *
   * @example Writing a reply, then closing: the peer gets all of it
   * ```ts
   * import assert from "node:assert/strict";
   * import { ConnTransport, Protocol } from "@torsion/protocols";
   *
   * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
   * const client = Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port })
   *   .then((conn) => new Response(conn.readable).text());
   *
   * const transport = new ConnTransport(await listener.accept(), new Protocol());
   * transport.start();
   * transport.write("x".repeat(100_000));
   * transport.loseConnection({ timeout: 5000 });
   * assert.equal((await client).length, 100_000);
   * await transport.closed;
   * ```
   */
  loseConnection(options: LoseConnectionOptions = {}): void {
    if (this.#state === "closed") return;
    if (options.timeout !== undefined && this.#closeTimer === null) {
      const ms = options.timeout;
      this.#closeTimer = this.#clock.callLater(ms, () => {
        this.#closeTimer = null;
        this.#abort(
          new ConnectionAborted(
            `Peer did not take the buffered data within ${ms} ms`,
          ),
        );
      });
    }
    if (this.#disconnecting) return;
    this.#disconnecting = true;
    this.#state = "closing";
    this.#shutWhenFlushed = true;
    this.#buffer.flushSoon();
  }

  /** Close now, dropping buffered bytes; `connectionLost(ConnectionAborted)` follows. */
  abortConnection(): void {
    this.#abort(new ConnectionAborted());
  }

  /** Send end-of-stream once flushed, and keep reading. */
  loseWriteConnection(): void {
    if (this.#state === "closed" || this.#shutWhenFlushed) return;
    this.#shutWhenFlushed = true;
    this.#buffer.flushSoon();
  }

  /**
   * The peer's address (the PROXY protocol's client address when there was one).
   *
   * @returns The address.
   */
  getPeer(): Deno.Addr {
    return this.#options.peer ?? peerAddr(this.#conn);
  }

  /**
   * This side's address.
   *
   * @returns The address.
   */
  getHost(): Deno.Addr {
    return this.#conn.localAddr;
  }

  /** Stop reading until `resumeProducing()`: the peer is held back by TCP. */
  pauseProducing(): void {
    this.#readPaused = true;
  }

  /** Read again after `pauseProducing()`. */
  resumeProducing(): void {
    if (this.#readStopped) return;
    this.#readPaused = false;
    this.#resumeRead?.();
  }

  /** Stop reading for good and close as `loseConnection()` does. */
  stopProducing(): void {
    this.#readStopped = true;
    this.#readPaused = true;
    this.loseConnection();
  }

  /**
   * Register a producer of what this transport sends.
   *
   * @param producer The producer.
   * @param streaming True for push, false for pull.
   * @throws {Error} When a producer is already registered.
   */
  registerProducer(producer: Producer, streaming: boolean): void {
    // Once connectionLost was delivered (the socket may linger a little
    // longer) or the write side is shut, no write will ever leave: a
    // producer would wait forever.
    if (this.#state === "closed" || this.#lostReported || this.#writeShut) {
      this.#buffer.callProducer(() => producer.stopProducing());
      return;
    }
    this.#buffer.registerProducer(producer, streaming);
  }

  /** Forget the producer; a pending `loseConnection` proceeds. */
  unregisterProducer(): void {
    this.#buffer.unregisterProducer();
    if (this.#shutWhenFlushed) this.#buffer.flushSoon();
  }

  /**
   * Upgrade this client connection to TLS in place (STARTTLS). Call it from a
   * protocol hook (typically on the server's "go ahead" reply), when the
   * server waits for the handshake: bytes written before the call go out in
   * the clear, bytes written after it through TLS.
   *
   * @param options Trusted CA certificates, the server name to verify
   *   (default: the host connected to), ALPN protocols.
   * @returns Resolves once the handshake is done; rejects when it fails,
   *   and the connection is then closed with `ConnectionLost` (whose
   *   `cause` is the TLS error). Not awaiting it is safe.
   * @throws {TypeError} On a server connection, a connection not over TCP,
   *   or when an upgrade already ran.
   *
   * @example STARTTLS in an SMTP client (needs a mail server)
   * ```ts ignore
   * import { ClientFactory, connect, LineReceiver } from "@torsion/protocols";
   *
   * class Smtp extends LineReceiver {
   *   override lineReceived(line: string): void {
   *     if (line.startsWith("220 ") && line.includes("ESMTP")) {
   *       this.sendLine("STARTTLS"); // in the clear
   *     } else if (line.startsWith("220 ")) {
   *       this.transport!.startTLS!({ hostname: "mail.example.com" })
   *         .catch((error) => console.error("STARTTLS failed:", error.message));
   *       this.sendLine("EHLO me"); // held for the handshake, sent encrypted
   *     }
   *   }
   * }
   * await connect("tcp:host=mail.example.com:port=587", ClientFactory.forProtocol(Smtp));
   * ```
   */
  startTLS(options: StartTlsOptions = {}): Promise<void> {
    if (this.#options.tlsHostname === undefined || this.#tlsStarted) {
      return Promise.reject(
        new TypeError(
          "startTLS needs a client TCP connection not yet upgraded",
        ),
      );
    }
    this.#tlsStarted = true;
    const upgrading = this.#upgrade(options).finally(() =>
      this.#upgrading = null
    );
    // A failure also closes the connection (connectionLost says why), so a
    // caller that does not await this must not crash the process with an
    // unhandled rejection: mark it handled, and still reject for those who do.
    upgrading.catch(() => {});
    this.#upgrading = upgrading;
    return upgrading;
  }

  async #upgrade(options: StartTlsOptions): Promise<void> {
    await this.#buffer.hold();
    if (this.#state === "closed") {
      throw new ConnectionLost("Connection closed before STARTTLS");
    }
    try {
      const tls = await Deno.startTls(this.#conn as Deno.TcpConn, {
        hostname: options.hostname ?? this.#options.tlsHostname,
        caCerts: options.caCerts,
        alpnProtocols: options.alpnProtocols,
      });
      const { alpnProtocol } = await tls.handshake();
      this.#conn = tls;
      this.#alpnProtocol = alpnProtocol;
    } catch (error) {
      this.#lose(error);
      throw error;
    }
    this.#buffer.release();
  }

  /**
   * Disable (true) or enable (false) Nagle's algorithm; no-op off TCP.
   *
   * @param on Send small segments at once.
   */
  setTcpNoDelay(on: boolean): void {
    try {
      (this.#conn as Deno.TcpConn).setNoDelay?.(on);
    } catch {
      // The socket is gone; nothing to set.
    }
  }

  /**
   * Enable or disable TCP keep-alive probes; no-op off TCP.
   *
   * @param on Send keep-alive probes.
   */
  setTcpKeepAlive(on: boolean): void {
    try {
      (this.#conn as Deno.TcpConn).setKeepAlive?.(on);
    } catch {
      // The socket is gone; nothing to set.
    }
  }

  async #readLoop(): Promise<void> {
    let size = INITIAL_READ;
    let smallReads = 0;
    // Closing: what arrives is dropped unread, so one buffer serves every
    // read (a fresh one each time would be garbage at the peer's pace).
    let drain: Uint8Array | null = null;
    while (!this.#isClosed()) {
      while (this.#readPaused && this.#isOpen()) {
        await new Promise<void>((resolve) => this.#resumeRead = resolve);
        this.#resumeRead = null;
      }
      if (this.#upgrading !== null) {
        // The handshake needs the socket to itself; a failure closes us.
        await this.#upgrading.catch(() => {});
      }
      if (this.#isClosed()) return;
      let buffer: Uint8Array;
      if (!this.#isOpen()) buffer = drain ??= new Uint8Array(MAX_READ);
      else if (size > MAX_SLAB_BYTES) buffer = new Uint8Array(size);
      else if (this.#readBuffer.length === size) buffer = this.#readBuffer;
      else buffer = this.#readBuffer = new Uint8Array(size);
      let n: number | null;
      try {
        n = await this.#conn.read(buffer);
      } catch (error) {
        if (!this.#isClosed()) this.#lose(error);
        return;
      }
      if (n === null) return this.#endOfInput();
      if (!this.#isOpen()) continue; // closing: drain and drop
      if (this.#options.metrics) this.#options.metrics.bytesReceived += n;
      // A read that fills its buffer also leaves the socket marked readable
      // (tokio clears readiness only on a short read), so the next read would
      // cost a recv that finds nothing: the buffer grows past what arrives.
      if (n === size) {
        size = Math.min(size * 2, MAX_READ);
        smallReads = 0;
      } else if (n * 4 <= size && ++smallReads >= 2) {
        size = Math.max(size / 2, MIN_READ);
        smallReads = 0;
      }
      // A read finished while paused is held until resumed, in order.
      while (this.#readPaused && this.#isOpen()) {
        await new Promise<void>((resolve) => this.#resumeRead = resolve);
        this.#resumeRead = null;
      }
      if (!this.#isOpen()) continue;
      const data = buffer === this.#readBuffer
        ? copyBytes(buffer, n)
        : buffer.subarray(0, n);
      this.#buffer.deferFlush();
      try {
        this.#protocol.dataReceived(data); // the hot path: no closure
      } catch (error) {
        this.#hookFailed(error);
      }
      // Send the reply before the next read is issued: a read issued first
      // finds nothing yet and must wait for the poller, one wakeup more.
      this.#buffer.flushNow();
    }
  }

  // Methods, not field reads: the state changes across awaits.
  #isOpen(): boolean {
    return this.#state === "open";
  }

  #isClosed(): boolean {
    return this.#state === "closed";
  }

  #endOfInput(): void {
    this.#readEof = true;
    if (this.#state === "closed") return;
    const protocol = this.#protocol;
    const halfCloseable = typeof protocol.readConnectionLost === "function";
    if (this.#state === "open" && halfCloseable) {
      this.#call(() => protocol.readConnectionLost!());
    }
    if (this.#writeShut) {
      // Both directions are done (or we were lingering after a clean close).
      this.#finish(new ConnectionDone());
      return this.#closeSocket();
    }
    if (this.#state !== "open" || halfCloseable) return; // #flushed closes
    // Not half-closeable: the connection is over for the protocol, as in
    // Twisted, but what it already wrote is still delivered.
    this.#buffer.stopProducer();
    this.loseConnection();
  }

  // The buffer ran empty: a pending half-close or close can go ahead.
  #flushed(): void {
    if (!this.#shutWhenFlushed || this.#writeShut || this.#state === "closed") {
      return;
    }
    if (this.#buffer.hasProducer) return;
    this.#writeShut = true;
    if (this.#disconnecting || this.#readEof) {
      this.#finish(new ConnectionDone());
      if (this.#readEof) return this.#closeSocket();
      this.#state = "closing";
      this.#shutWrite();
      const linger = this.#options.lingerTimeout ?? 2000;
      this.#lingerTimer = this.#clock.callLater(
        linger,
        () => this.#closeSocket(),
      );
      return;
    }
    this.#shutWrite();
  }

  #shutWrite(): void {
    this.#conn.closeWrite().catch(() => {
      // The peer is gone already: the read side reports it.
    });
  }

  #abort(reason: ConnectionClosed): void {
    if (this.#state === "closed") return;
    this.#disconnecting = true;
    this.#buffer.clear();
    this.#finish(reason);
    this.#closeSocket();
  }

  #lose(error: unknown): void {
    if (this.#state === "closed") return;
    const message = error instanceof Error ? error.message : String(error);
    this.#abortWith(new ConnectionLost(message, { cause: error }));
  }

  #abortWith(reason: ConnectionClosed): void {
    this.#buffer.clear();
    this.#finish(reason);
    this.#closeSocket();
  }

  // Deliver connectionLost exactly once; the socket may linger a little longer.
  #finish(reason: ConnectionClosed): void {
    if (this.#lostReported) return;
    this.#lostReported = true;
    this.#closeTimer?.cancel();
    this.#closeTimer = null;
    this.#buffer.stopProducer();
    const protocol = this.#protocol;
    protocol.connected = false;
    this.#call(() => protocol.connectionLost(reason));
    this.#options.onConnectionLost?.(reason);
  }

  #closeSocket(): void {
    if (this.#state === "closed") return;
    this.#state = "closed";
    this.#disconnecting = true;
    this.#lingerTimer?.cancel();
    this.#lingerTimer = null;
    this.#closeTimer?.cancel();
    this.#closeTimer = null;
    this.#buffer.clear();
    try {
      this.#conn.close();
    } catch {
      // Already closed.
    }
    this.#resumeRead?.();
    this.#options.onClose?.();
    this.#resolveClosed();
  }

  // Run a protocol hook; an exception aborts this connection only.
  #call(hook: () => void): boolean {
    try {
      hook();
      return true;
    } catch (error) {
      this.#hookFailed(error);
      return false;
    }
  }

  #hookFailed(error: unknown): void {
    if (this.#options.metrics) this.#options.metrics.errors++;
    const onError = this.#options.onError ??
      ((e: unknown) => console.error("torsion: protocol hook failed:", e));
    try {
      onError(error, this.#protocol);
    } catch (reportError) {
      console.error("torsion: onError failed:", reportError);
    }
    if (!this.#lostReported) {
      this.#abort(
        new ConnectionAborted("Protocol hook failed", { cause: error }),
      );
    } else this.#closeSocket();
  }
}
