/**
 * `StringTransport`: an in-memory transport that records what is written
 * (Twisted's `twisted.internet.testing.StringTransport`). Writes are
 * recorded as bytes; `valueText()` decodes them.
 *
 * @module
 */

import { checkedBytes, checkedChunks } from "../protocols/_encode.ts";
import type {
  LoseConnectionOptions,
  Producer,
  Transport,
} from "../protocols/transport.ts";

/** What a `StringTransport` was last told about reading. */
export type ProducerState = "producing" | "paused" | "stopped";

/** Options of `StringTransport`. */
export interface StringTransportOptions {
  /** The address `getPeer()` returns. Default: 127.0.0.1, port 54321. */
  peer?: Deno.Addr;
  /** The address `getHost()` returns. Default: 127.0.0.1, port 8007. */
  host?: Deno.Addr;
}

/**
 * A `Transport` that keeps everything written in memory, for unit tests of
 * protocols (Twisted's `StringTransport`). Nothing is sent anywhere and
 * nothing is delivered back: call the protocol's hooks yourself.
 *
 * @example Testing an echo protocol without a socket
 * ```ts
 * import assert from "node:assert/strict";
 * import { Protocol } from "@torsion/protocols";
 * import { StringTransport } from "@torsion/protocols/testing";
 *
 * class Echo extends Protocol {
 *   override dataReceived(data: Uint8Array): void {
 *     this.transport!.write(data);
 *   }
 * }
 * const transport = new StringTransport();
 * const echo = new Echo();
 * echo.makeConnection(transport);
 * echo.dataReceived(new TextEncoder().encode("hi"));
 * assert.equal(transport.valueText(), "hi");
 * ```
 */
export class StringTransport implements Transport {
  /** True once `loseConnection` or `abortConnection` was called. */
  disconnecting = false;
  /** True once `abortConnection` was called. */
  disconnected = false;
  /** True once `loseWriteConnection` was called. */
  writeConnectionLost = false;
  /** Reading state, as set by `pauseProducing`/`resumeProducing`/`stopProducing`. */
  producerState: ProducerState = "producing";
  /** The registered producer, or null. */
  producer: Producer | null = null;
  /** Whether the registered producer is a push (streaming) producer. */
  streaming: boolean | null = null;
  /** The address `getPeer()` returns. */
  peer: Deno.Addr;
  /** The address `getHost()` returns. */
  host: Deno.Addr;
  /** The high-water mark (recorded only: nothing is buffered). */
  highWaterMark = 64 * 1024;
  /** The low-water mark (recorded only: nothing is buffered). */
  lowWaterMark = 16 * 1024;
  /** Always null: there is no TLS here. */
  readonly alpnProtocol: string | null = null;
  /** The last value given to `setTcpNoDelay`. */
  tcpNoDelay = true;
  /** The last value given to `setTcpKeepAlive`. */
  tcpKeepAlive = false;
  /** The options of the last `loseConnection` call. */
  loseConnectionOptions: LoseConnectionOptions | undefined = undefined;
  #chunks: Uint8Array[] = [];
  #length = 0;

  /**
   * Make a transport with the given addresses.
   *
   * @param options `peer` and `host` addresses.
   *
   * @example A peer on IPv6
   * ```ts
   * import assert from "node:assert/strict";
   * import { StringTransport } from "@torsion/protocols/testing";
   *
   * const transport = new StringTransport({
   *   peer: { transport: "tcp", hostname: "::1", port: 40000 },
   * });
   * assert.equal((transport.getPeer() as Deno.NetAddr).hostname, "::1");
   * assert.equal((transport.getHost() as Deno.NetAddr).port, 8007); // the default
   * ```
   */
  constructor(options: StringTransportOptions = {}) {
    this.peer = options.peer ??
      { transport: "tcp", hostname: "127.0.0.1", port: 54321 };
    this.host = options.host ??
      { transport: "tcp", hostname: "127.0.0.1", port: 8007 };
  }

  /**
   * Everything written since the last `clear()`.
   *
   * @returns The bytes, as one array (a copy: changing it changes nothing).
   *
   * @example Checking the bytes written
   * ```ts
   * import assert from "node:assert/strict";
   * import { StringTransport } from "@torsion/protocols/testing";
   *
   * const transport = new StringTransport();
   * transport.write(new Uint8Array([1, 2]));
   * transport.write("A");
   * assert.deepEqual(transport.value(), new Uint8Array([1, 2, 0x41]));
   * ```
   */
  value(): Uint8Array {
    if (this.#chunks.length !== 1) {
      const all = new Uint8Array(this.#length);
      let offset = 0;
      for (const chunk of this.#chunks) {
        all.set(chunk, offset);
        offset += chunk.length;
      }
      this.#chunks = [all];
    }
    return this.#chunks[0].slice();
  }

  /**
   * Everything written since the last `clear()`, decoded as UTF-8.
   *
   * @returns The text.
   *
   * @example Checking the text written
   * ```ts
   * import assert from "node:assert/strict";
   * import { StringTransport } from "@torsion/protocols/testing";
   *
   * const transport = new StringTransport();
   * transport.writeSequence(["220 ", "ready\r\n"]);
   * assert.equal(transport.valueText(), "220 ready\r\n");
   * ```
   */
  valueText(): string {
    return new TextDecoder().decode(this.value());
  }

  /**
   * Forget what was written so far.
   *
   * @example Checking each reply on its own
   * ```ts
   * import assert from "node:assert/strict";
   * import { LineReceiver } from "@torsion/protocols";
   * import { StringTransport } from "@torsion/protocols/testing";
   *
   * class Upper extends LineReceiver {
   *   override lineReceived(line: string): void {
   *     this.sendLine(line.toUpperCase());
   *   }
   * }
   * const transport = new StringTransport();
   * const upper = new Upper();
   * upper.makeConnection(transport);
   * upper.dataReceived(new TextEncoder().encode("a\r\n"));
   * assert.equal(transport.valueText(), "A\r\n");
   * transport.clear();
   * upper.dataReceived(new TextEncoder().encode("b\r\n"));
   * assert.equal(transport.valueText(), "B\r\n");
   * ```
   */
  clear(): void {
    this.#chunks = [];
    this.#length = 0;
  }

  /**
   * Record bytes (strings as UTF-8). Ignored after `abortConnection`.
   *
   * @param data The bytes or text.
   * @throws {TypeError} When `data` is neither bytes nor a string.
   */
  write(data: Uint8Array | string): void {
    const checked = checkedBytes(data);
    if (this.disconnected) return;
    // A copy, so that the caller may reuse its array (strings are fresh).
    const bytes = checked === data ? checked.slice() : checked;
    if (bytes.length === 0) return;
    this.#chunks.push(bytes);
    this.#length += bytes.length;
  }

  /**
   * Record several chunks, in order.
   *
   * @param chunks The bytes or texts.
   * @throws {TypeError} When a chunk is neither bytes nor a string; nothing
   *   of the sequence is recorded then.
   */
  writeSequence(chunks: Iterable<Uint8Array | string>): void {
    for (const chunk of checkedChunks(chunks)) this.write(chunk);
  }

  /**
   * Set `disconnecting`; nothing else happens (call `connectionLost` yourself).
   *
   * @param options Recorded as `loseConnectionOptions`.
   *
   * @example Checking that a protocol closes, and finishing the close by hand
   * ```ts
   * import assert from "node:assert/strict";
   * import { ConnectionDone, Protocol } from "@torsion/protocols";
   * import { StringTransport } from "@torsion/protocols/testing";
   *
   * class Bye extends Protocol {
   *   override connectionMade(): void {
   *     this.transport!.loseConnection({ timeout: 1000 });
   *   }
   * }
   * const transport = new StringTransport();
   * const bye = new Bye();
   * bye.makeConnection(transport);
   * assert.equal(transport.disconnecting, true);
   * assert.deepEqual(transport.loseConnectionOptions, { timeout: 1000 });
   * bye.connectionLost(new ConnectionDone()); // what a real transport does next
   * ```
   */
  loseConnection(options?: LoseConnectionOptions): void {
    this.disconnecting = true;
    this.loseConnectionOptions = options;
  }

  /** Set `disconnecting` and `disconnected`; later writes are ignored. */
  abortConnection(): void {
    this.disconnecting = true;
    this.disconnected = true;
  }

  /** Set `writeConnectionLost`. */
  loseWriteConnection(): void {
    this.writeConnectionLost = true;
  }

  /**
   * The configured peer address.
   *
   * @returns `peer`.
   */
  getPeer(): Deno.Addr {
    return this.peer;
  }

  /**
   * The configured host address.
   *
   * @returns `host`.
   */
  getHost(): Deno.Addr {
    return this.host;
  }

  /** Always 0: writes are recorded at once. */
  get bufferedAmount(): number {
    return 0;
  }

  /** Record that reading was paused. */
  pauseProducing(): void {
    if (this.producerState !== "stopped") this.producerState = "paused";
  }

  /** Record that reading was resumed. */
  resumeProducing(): void {
    if (this.producerState !== "stopped") this.producerState = "producing";
  }

  /** Record that reading was stopped for good. */
  stopProducing(): void {
    this.producerState = "stopped";
  }

  /**
   * Register a producer.
   *
   * @param producer The producer.
   * @param streaming True for a push producer.
   * @throws {Error} When a producer is already registered.
   */
  registerProducer(producer: Producer, streaming: boolean): void {
    if (this.producer !== null) {
      throw new Error("A producer is already registered");
    }
    this.producer = producer;
    this.streaming = streaming;
  }

  /** Forget the registered producer. */
  unregisterProducer(): void {
    this.producer = null;
    this.streaming = null;
  }

  /**
   * Record the option.
   *
   * @param on Recorded as `tcpNoDelay`.
   */
  setTcpNoDelay(on: boolean): void {
    this.tcpNoDelay = on;
  }

  /**
   * Record the option.
   *
   * @param on Recorded as `tcpKeepAlive`.
   */
  setTcpKeepAlive(on: boolean): void {
    this.tcpKeepAlive = on;
  }
}
