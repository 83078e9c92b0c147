/**
 * `connectedPair`: two protocols joined in memory (Twisted's
 * `twisted.test.iosim.connectedServerAndClient`). Nothing moves until the
 * test pumps:
 *
 * ```text
 * server ──write──▶ [server queue] ──pump()──▶ client.dataReceived
 * client ──write──▶ [client queue] ──pump()──▶ server.dataReceived
 * flush(): pump until nothing moves; closes and half-closes are carried out
 * ```
 *
 * @module
 */

import { checkedBytes, checkedChunks } from "../protocols/_encode.ts";
import {
  ConnectionAborted,
  type ConnectionClosed,
  ConnectionDone,
  ConnectionLost,
} from "../protocols/errors.ts";
import type { Protocol } from "../protocols/protocol.ts";
import type {
  LoseConnectionOptions,
  Producer,
  Transport,
} from "../protocols/transport.ts";

/** Two protocols joined in memory, returned by `connectedPair`. */
export interface ConnectedPair<S extends Protocol, C extends Protocol> {
  /** The server side's protocol. */
  server: S;
  /** The client side's protocol. */
  client: C;
  /** The server side's transport. */
  serverTransport: PairTransport;
  /** The client side's transport. */
  clientTransport: PairTransport;
  /**
   * Move what each side wrote to the other, once (the client's writes first,
   * then the server's, including its replies to them), then carry out the
   * closes, half-closes and resets that were waiting for it.
   *
   * @returns True if anything moved or closed.
   *
   * @example One round trip at a time
   * ```ts
   * import assert from "node:assert/strict";
   * import { LineReceiver } from "@torsion/protocols";
   * import { connectedPair } from "@torsion/protocols/testing";
   *
   * class Ping extends LineReceiver {
   *   replies: string[] = [];
   *   override connectionMade(): void {
   *     this.sendLine("PING");
   *   }
   *   override lineReceived(line: string): void {
   *     this.replies.push(line);
   *   }
   * }
   * class Pong extends LineReceiver {
   *   override lineReceived(line: string): void {
   *     if (line === "PING") this.sendLine("PONG");
   *   }
   * }
   *
   * const pair = connectedPair(new Pong(), new Ping());
   * assert.deepEqual(pair.client.replies, []); // nothing moved yet
   * assert.equal(pair.pump(), true); // PING across, PONG back
   * assert.deepEqual(pair.client.replies, ["PONG"]);
   * assert.equal(pair.pump(), false); // quiet
   * ```
   */
  pump(): boolean;
  /**
   * Pump until nothing moves (a paused side's queue waits for it to resume).
   *
   * @param maxRounds Give up after this many rounds (default 10 000).
   * @throws {Error} When still busy after `maxRounds` (a ping-pong loop).
   *
   * @example Running a conversation to its end
   * ```ts
   * import assert from "node:assert/strict";
   * import { Protocol } from "@torsion/protocols";
   * import { connectedPair } from "@torsion/protocols/testing";
   *
   * class Qotd extends Protocol {
   *   override connectionMade(): void {
   *     this.transport!.write("An apple a day\r\n");
   *     this.transport!.loseConnection();
   *   }
   * }
   * class Reader extends Protocol {
   *   text = "";
   *   override dataReceived(data: Uint8Array): void {
   *     this.text += new TextDecoder().decode(data);
   *   }
   * }
   *
   * const pair = connectedPair(new Qotd(), new Reader());
   * pair.flush();
   * assert.equal(pair.client.text, "An apple a day\r\n");
   * assert.equal(pair.client.connected, false); // both sides saw connectionLost
   * ```
   */
  flush(maxRounds?: number): void;
}

/**
 * One side of a `connectedPair`. Writes wait in memory until the pair is
 * pumped. It behaves as the socket transport does:
 * - a paused side receives nothing (data, end-of-stream) until resumed;
 * - a side that called `loseConnection` receives nothing more (what reaches
 *   it is dropped): what it wrote is delivered, then both sides get
 *   `connectionLost(ConnectionDone)`;
 * - `abortConnection` drops what is queued both ways and calls this side's
 *   `connectionLost(ConnectionAborted)` at once; the other side gets
 *   `connectionLost(ConnectionLost)` at the next pump;
 * - `loseWriteConnection` sends end-of-stream once what was written is
 *   delivered: the other side's `readConnectionLost()` runs if it has one,
 *   otherwise it closes;
 * - a push producer is paused above `highWaterMark` and resumed once a pump
 *   drains the queue to `lowWaterMark`; a pull producer is resumed when it
 *   registers and at each pump that finds the queue empty; the protocol's
 *   `bufferFull()` / `bufferDrained()` run at the same marks.
 *
 * @example Backpressure in memory: a push producer paused and resumed
 * ```ts
 * import assert from "node:assert/strict";
 * import { Protocol } from "@torsion/protocols";
 * import { connectedPair } from "@torsion/protocols/testing";
 *
 * const pair = connectedPair(new Protocol(), new Protocol());
 * const transport = pair.serverTransport;
 * const states: string[] = [];
 * transport.registerProducer({
 *   pauseProducing: () => void states.push("paused"),
 *   resumeProducing: () => void states.push("resumed"),
 *   stopProducing: () => void states.push("stopped"),
 * }, true);
 * transport.write(new Uint8Array(transport.highWaterMark + 1));
 * assert.deepEqual(states, ["paused"]);
 * pair.pump(); // the client takes it all
 * assert.deepEqual(states, ["paused", "resumed"]);
 * ```
 */
export class PairTransport implements Transport {
  /** The other side. */
  peer!: PairTransport;
  /** This side's protocol. */
  readonly protocol: Protocol;
  /** High-water mark (bytes) used to pause a push producer. */
  highWaterMark = 64 * 1024;
  /** Low-water mark (bytes) used to resume a push producer. */
  lowWaterMark = 16 * 1024;
  /** Always null: no TLS in memory. */
  readonly alpnProtocol: string | null = null;
  /** True once `connectionLost` was delivered. */
  disconnected = false;
  /** True while reading is paused. */
  paused = false;
  #address: Deno.Addr;
  #outgoing: Uint8Array[] = [];
  #buffered = 0;
  #full = false;
  #disconnecting = false;
  #shutWhenFlushed = false;
  #eofSent = false;
  #readEof = false;
  #readStopped = false;
  #resetPending = false;
  #producer: Producer | null = null;
  #streaming = false;
  #producerPaused = false;

  /**
   * Make one side; `connectedPair` makes both and joins them (setting
   * `peer`).
   *
   * @param protocol This side's protocol.
   * @param address This side's address.
   */
  constructor(protocol: Protocol, address: Deno.Addr) {
    this.protocol = protocol;
    this.#address = address;
  }

  /** True once `loseConnection` or `abortConnection` was called. */
  get disconnecting(): boolean {
    return this.#disconnecting;
  }

  /** Bytes written and not yet pumped to the other side. */
  get bufferedAmount(): number {
    return this.#buffered;
  }

  /** True once the other side's end-of-stream was delivered here. */
  get readEof(): boolean {
    return this.#readEof;
  }

  /**
   * Queue bytes for the other side (a copy: the caller may reuse its array).
   * Ignored once closed or once end-of-stream was sent.
   *
   * @param data Bytes, or a string sent as UTF-8.
   * @throws {TypeError} When `data` is neither bytes nor a string.
   */
  write(data: Uint8Array | string): void {
    const checked = checkedBytes(data);
    if (this.disconnected || this.#eofSent) return;
    // A copy, so that the caller may reuse its array (strings are fresh).
    const bytes = checked === data ? checked.slice() : checked;
    if (bytes.length === 0) return;
    this.#outgoing.push(bytes);
    this.#buffered += bytes.length;
    if (!this.#full && this.#buffered > this.highWaterMark) {
      this.#full = true;
      const producer = this.#producer;
      if (producer !== null && this.#streaming && !this.#producerPaused) {
        this.#producerPaused = true;
        producer.pauseProducing?.();
      }
      this.protocol.bufferFull?.();
    }
  }

  /**
   * Queue several chunks.
   *
   * @param chunks Bytes or strings.
   * @throws {TypeError} When a chunk is neither bytes nor a string; nothing
   *   of the sequence is queued then.
   */
  writeSequence(chunks: Iterable<Uint8Array | string>): void {
    for (const chunk of checkedChunks(chunks)) this.write(chunk);
  }

  /**
   * Close once what was written has been pumped across and a registered
   * producer has unregistered; from now on this side receives nothing.
   *
   * @param _options Ignored: nothing waits on a clock in memory.
   */
  loseConnection(_options?: LoseConnectionOptions): void {
    if (this.disconnected) return;
    this.#disconnecting = true;
  }

  /**
   * Close now, dropping what is queued both ways: this side's
   * `connectionLost(ConnectionAborted)` runs at once, the other side's
   * `connectionLost(ConnectionLost)` at the next pump.
   */
  abortConnection(): void {
    if (this.disconnected) return;
    this.#disconnecting = true;
    this.peer.#resetPending = true;
    this.#lose(new ConnectionAborted());
  }

  /**
   * Deliver end-of-stream to the other side once what was written is across
   * (and a registered producer has unregistered); keep reading.
   */
  loseWriteConnection(): void {
    if (this.disconnected) return;
    this.#shutWhenFlushed = true;
  }

  /**
   * The other side's address.
   *
   * @returns The address.
   */
  getPeer(): Deno.Addr {
    return this.peer.#address;
  }

  /**
   * This side's address.
   *
   * @returns The address.
   */
  getHost(): Deno.Addr {
    return this.#address;
  }

  /** Receive nothing until `resumeProducing()`. */
  pauseProducing(): void {
    this.paused = true;
  }

  /** Receive again (not after `stopProducing()`). */
  resumeProducing(): void {
    if (this.#readStopped) return;
    this.paused = false;
  }

  /** Stop receiving for good and close as `loseConnection()` does. */
  stopProducing(): void {
    this.#readStopped = true;
    this.paused = true;
    this.loseConnection();
  }

  /**
   * Register a producer. A pull producer is asked for more at once and then at
   * each pump that finds this side's queue empty; a push producer registered
   * while the queue is above the high-water mark is paused at once. On a
   * closed transport the producer is stopped at once.
   *
   * @param producer The producer.
   * @param streaming True for push, false for pull.
   * @throws {Error} When a producer is already registered.
   */
  registerProducer(producer: Producer, streaming: boolean): void {
    if (this.#producer !== null) {
      throw new Error("A producer is already registered");
    }
    if (this.disconnected) {
      producer.stopProducing();
      return;
    }
    this.#producer = producer;
    this.#streaming = streaming;
    this.#producerPaused = false;
    if (!streaming) {
      producer.resumeProducing();
    } else if (this.#full) {
      this.#producerPaused = true;
      producer.pauseProducing?.();
    }
  }

  /** Forget the producer; a waiting close or half-close proceeds at the next pump. */
  unregisterProducer(): void {
    this.#producer = null;
    this.#producerPaused = false;
  }

  /**
   * No-op in memory.
   *
   * @param _on Ignored.
   */
  setTcpNoDelay(_on: boolean): void {}

  /**
   * No-op in memory.
   *
   * @param _on Ignored.
   */
  setTcpKeepAlive(_on: boolean): void {}

  /**
   * Deliver what this side wrote to the other side, then any close,
   * half-close or reset that was waiting for it (one side's half of `pump()`).
   *
   * @returns True if anything moved or closed.
   */
  pumpOut(): boolean {
    const moved = this.#deliver();
    return this.#settle() || moved;
  }

  // Hand the queued chunks over one at a time: the receiver may pause, close
  // or abort in any dataReceived, and then gets nothing more. A receiver that
  // is closing drains and drops what arrives, as a socket transport does.
  #deliver(): boolean {
    if (this.disconnected || this.#resetPending) return false;
    const peer = this.peer;
    let moved = false;
    while (
      this.#outgoing.length > 0 && !this.disconnected && !peer.disconnected
    ) {
      if (peer.#disconnecting) {
        this.#outgoing = [];
        this.#buffered = 0;
        moved = true;
        break;
      }
      if (peer.paused) break;
      const chunk = this.#outgoing.shift()!;
      this.#buffered -= chunk.length;
      moved = true;
      peer.protocol.dataReceived(chunk);
    }
    if (this.disconnected || this.#resetPending) return moved;
    if (moved && this.#full && this.#buffered <= this.lowWaterMark) {
      this.#full = false;
      const producer = this.#producer;
      if (producer !== null && this.#streaming && this.#producerPaused) {
        this.#producerPaused = false;
        producer.resumeProducing();
      }
      this.protocol.bufferDrained?.();
    }
    const producer = this.#producer;
    if (this.#outgoing.length === 0 && producer !== null && !this.#streaming) {
      producer.resumeProducing();
      if (this.#outgoing.length > 0) moved = true;
    }
    return moved;
  }

  #settle(): boolean {
    if (this.disconnected) return false;
    if (this.#resetPending) {
      this.#lose(new ConnectionLost("Connection was aborted by the peer"));
      return true;
    }
    if (this.#outgoing.length > 0 || this.#producer !== null) return false;
    if (this.#disconnecting) {
      this.#closeBoth();
      return true;
    }
    const peer = this.peer;
    if (
      this.#shutWhenFlushed && !this.#eofSent &&
      (!peer.paused || peer.#disconnecting)
    ) {
      this.#eofSent = true;
      peer.#endOfInput();
      return true;
    }
    return false;
  }

  #endOfInput(): void {
    if (this.disconnected) return;
    this.#readEof = true;
    if (this.#eofSent) return this.#closeBoth();
    if (this.#disconnecting) return; // closing already: #settle closes both
    if (typeof this.protocol.readConnectionLost === "function") {
      this.protocol.readConnectionLost();
    } else {
      this.loseConnection();
    }
  }

  #closeBoth(): void {
    this.#lose(new ConnectionDone());
    this.peer.#lose(new ConnectionDone());
  }

  #lose(reason: ConnectionClosed): void {
    if (this.disconnected) return;
    this.disconnected = true;
    this.#disconnecting = true;
    this.#resetPending = false;
    this.#outgoing = [];
    this.#buffered = 0;
    const producer = this.#producer;
    this.#producer = null;
    producer?.stopProducing();
    this.protocol.connected = false;
    this.protocol.connectionLost(reason);
  }
}

const SERVER_ADDR: Deno.NetAddr = {
  transport: "tcp",
  hostname: "127.0.0.1",
  port: 8007,
};
const CLIENT_ADDR: Deno.NetAddr = {
  transport: "tcp",
  hostname: "127.0.0.1",
  port: 54321,
};

/**
 * Join two protocols in memory: each one's writes reach the other when the
 * pair is pumped. Closing either side delivers `connectionLost` to both.
 *
 * @typeParam S The server protocol's type.
 * @typeParam C The client protocol's type.
 * @param server The server side (its `connectionMade` runs first).
 * @param client The client side.
 * @returns The pair, with `pump()` and `flush()`.
 *
 * @example A client and an echo server talking without sockets
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
 * class Client extends Protocol {
 *   received = "";
 *   override connectionMade(): void {
 *     this.transport!.write("hello");
 *   }
 *   override dataReceived(data: Uint8Array): void {
 *     this.received += new TextDecoder().decode(data);
 *     this.transport!.loseConnection();
 *   }
 * }
 * const pair = connectedPair(new Echo(), new Client());
 * pair.flush();
 * assert.equal(pair.client.received, "hello");
 * assert.equal(pair.client.connected, false);
 * ```
 */
export function connectedPair<S extends Protocol, C extends Protocol>(
  server: S,
  client: C,
): ConnectedPair<S, C> {
  const serverTransport = new PairTransport(server, SERVER_ADDR);
  const clientTransport = new PairTransport(client, CLIENT_ADDR);
  serverTransport.peer = clientTransport;
  clientTransport.peer = serverTransport;
  server.makeConnection(serverTransport);
  client.makeConnection(clientTransport);
  const pump = (): boolean => {
    const a = clientTransport.pumpOut();
    const b = serverTransport.pumpOut();
    return a || b;
  };
  return {
    server,
    client,
    serverTransport,
    clientTransport,
    pump,
    flush(maxRounds = 10_000): void {
      for (let round = 0; round < maxRounds; round++) {
        if (!pump()) return;
      }
      throw new Error(
        `Pair still busy after the maximum number of pumps: ${maxRounds}`,
      );
    },
  };
}
