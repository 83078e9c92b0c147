/**
 * `TrafficLoggingFactory`: log what happens on every connection of a
 * factory, for debugging.
 *
 * @module
 */

import type { ConnectionClosed } from "../errors.ts";
import type { Factory } from "../factory.ts";
import type { Protocol } from "../protocol.ts";
import type {
  LoseConnectionOptions,
  Producer,
  Transport,
} from "../transport.ts";
import { checkedBytes, checkedChunks, toBytes } from "../_encode.ts";
import { checkPositive } from "./_checks.ts";
import { formatAddr } from "../_addr.ts";
import { preview } from "./_traffic_format.ts";
import { ProtocolWrapper } from "./protocol_wrapper.ts";
import { WrappingFactory } from "./wrapping_factory.ts";

/** Options of `TrafficLoggingFactory`. */
export interface TrafficLoggingOptions {
  /** Bytes of each read or write shown in the log (escaped). Default 64; `Infinity` for all. */
  previewLength?: number;
}

/**
 * Logs every event of every connection, one line each, prefixed with the
 * connection's number (`#1`, `#2`, … in the order they were made): the
 * connection made (peer and local address), bytes received and sent (count
 * and an escaped preview: printable ASCII as is, `\r`, `\n`, `\t`, `\\`,
 * `\"`, other bytes as `\xNN`), half-closes, closes and aborts, pauses and
 * resumes of reading, producers, water marks, and the loss with its reason
 * (Twisted's `TrafficLoggingFactory`, to one sink instead of a file per
 * connection).
 *
 * ```text
 * #1 connection made: peer 127.0.0.1:40312, host 127.0.0.1:8007
 * #1 received 6 bytes: "hello\n"
 * #1 sent 6 bytes: "hello\n"
 * #1 peer half-closed
 * #1 loseConnection
 * #1 connection lost: ConnectionDone: Connection was closed cleanly
 * ```
 *
 * `log` is a function called with each line (no newline), or a file path:
 * the file is opened for appending on the first line and written
 * synchronously, line by line, so nothing is lost if the process dies; it
 * is closed once no port serves the factory and no connection is left, and
 * opened again if more comes. A sink that throws is reported once on
 * `console.error` and never disturbs the connections.
 *
 * @example What the log says, in memory
 * ```ts
 * import assert from "node:assert/strict";
 * import { Factory, Protocol, TrafficLoggingFactory } from "@torsion/protocols";
 * import { StringTransport } from "@torsion/protocols/testing";
 *
 * class Echo extends Protocol {
 *   override dataReceived(data: Uint8Array): void {
 *     this.transport!.write(data);
 *   }
 * }
 *
 * const lines: string[] = [];
 * const factory = new TrafficLoggingFactory(Factory.forProtocol(Echo), (line) => lines.push(line));
 * const peer: Deno.NetAddr = { transport: "tcp", hostname: "127.0.0.1", port: 54321 };
 * const protocol = factory.buildProtocol(peer)!;
 * protocol.makeConnection(new StringTransport());
 * protocol.dataReceived(new TextEncoder().encode("hi\n"));
 * assert.deepEqual(lines, [
 *   "#1 connection made: peer 127.0.0.1:54321, host 127.0.0.1:8007",
 *   '#1 received 3 bytes: "hi\\n"',
 *   '#1 sent 3 bytes: "hi\\n"',
 * ]);
 * ```
 *
 * @example Logging an echo server's traffic to the console
 * ```ts
 * import { Factory, listen, Protocol, TrafficLoggingFactory } from "@torsion/protocols";
 *
 * class Echo extends Protocol {
 *   override dataReceived(data: Uint8Array): void {
 *     this.transport!.write(data);
 *   }
 * }
 * const factory = new TrafficLoggingFactory(Factory.forProtocol(Echo), console.log);
 * const port = await listen("tcp:0:interface=127.0.0.1", factory);
 * await port.close();
 * ```
 */
export class TrafficLoggingFactory extends WrappingFactory {
  /** Bytes of each read or write shown in the log. */
  readonly previewLength: number;
  #sink: (line: string) => void;
  #path: string | null;
  #file: Deno.FsFile | null = null;
  #counter = 0;
  #failed = false;

  /**
   * Wrap a factory.
   *
   * @param wrappedFactory The factory that builds the real protocols.
   * @param log A function called with each line, or a file path to append to.
   * @param options `previewLength` (default 64).
   * @throws {TypeError} When `log` is neither a function nor a string.
   * @throws {RangeError} When `previewLength` is negative or NaN.
   */
  constructor(
    wrappedFactory: Factory,
    log: string | ((line: string) => void),
    options: TrafficLoggingOptions = {},
  ) {
    super(wrappedFactory);
    const previewLength = options.previewLength ?? 64;
    if (previewLength !== Infinity) {
      checkPositive(previewLength, "previewLength", true);
    }
    this.previewLength = previewLength;
    if (typeof log === "function") {
      this.#path = null;
      this.#sink = log;
    } else if (typeof log === "string") {
      this.#path = log;
      this.#sink = (line) => this.#append(line);
    } else {
      throw new TypeError(
        "TrafficLoggingFactory needs a function or a file path to log to",
      );
    }
  }

  /**
   * Number the next connection 1 again (Twisted's `resetCounter`).
   *
   * @example Numbering from 1 again
   * ```ts
   * import assert from "node:assert/strict";
   * import { Factory, Protocol, TrafficLoggingFactory } from "@torsion/protocols";
   * import { StringTransport } from "@torsion/protocols/testing";
   *
   * const lines: string[] = [];
   * const factory = new TrafficLoggingFactory(Factory.forProtocol(Protocol), (line) => lines.push(line));
   * const peer: Deno.NetAddr = { transport: "tcp", hostname: "127.0.0.1", port: 54321 };
   * factory.buildProtocol(peer)!.makeConnection(new StringTransport());
   * factory.resetCounter();
   * factory.buildProtocol(peer)!.makeConnection(new StringTransport());
   * assert.ok(lines.every((line) => line.startsWith("#1 ")));
   * ```
   */
  resetCounter(): void {
    this.#counter = 0;
  }

  /**
   * Wrap a protocol in the logging wrapper.
   *
   * @param protocol The protocol to wrap.
   * @param _addr The peer's address.
   * @returns The wrapper.
   */
  override wrapProtocol(protocol: Protocol, _addr: Deno.Addr): ProtocolWrapper {
    const number = ++this.#counter;
    return new TrafficLoggingProtocol(
      this,
      protocol,
      (line) => this.#log(`#${number} ${line}`),
      this.previewLength,
    );
  }

  /**
   * A connection is gone; the file is closed if nothing is left to log.
   *
   * @param protocol The wrapper.
   */
  override unregisterProtocol(protocol: ProtocolWrapper): void {
    super.unregisterProtocol(protocol);
    this.#closeIfIdle();
  }

  /** Count one port less; the file is closed if nothing is left to log. */
  override doStop(): void {
    super.doStop();
    this.#closeIfIdle();
  }

  #log(line: string): void {
    try {
      this.#sink(line);
    } catch (error) {
      if (this.#failed) return;
      this.#failed = true;
      console.error("torsion: traffic log failed:", error);
    }
  }

  #append(line: string): void {
    this.#file ??= Deno.openSync(this.#path!, {
      append: true,
      create: true,
    });
    const bytes = toBytes(line + "\n");
    let offset = 0;
    while (offset < bytes.length) {
      offset += this.#file.writeSync(bytes.subarray(offset));
    }
  }

  #closeIfIdle(): void {
    if (this.#file === null || this.numPorts > 0 || this.protocols.size > 0) {
      return;
    }
    const file = this.#file;
    this.#file = null;
    try {
      file.close();
    } catch {
      // Already closed.
    }
  }
}

class TrafficLoggingProtocol extends ProtocolWrapper {
  #sink: (line: string) => void;
  #previewLength: number;
  // After the loss nothing is logged: what the wrapped protocol still does
  // then is a no-op, and the factory may have closed the file.
  #lost = false;

  constructor(
    factory: WrappingFactory,
    wrappedProtocol: Protocol,
    log: (line: string) => void,
    previewLength: number,
  ) {
    super(factory, wrappedProtocol);
    this.#sink = log;
    this.#previewLength = previewLength;
  }

  #log(line: string): void {
    if (!this.#lost) this.#sink(line);
  }

  override makeConnection(transport: Transport): void {
    this.#log(
      `connection made: peer ${
        formatAddr(transport.getPeer(), JSON.stringify)
      }, host ${formatAddr(transport.getHost(), JSON.stringify)}`,
    );
    super.makeConnection(transport);
  }

  override dataReceived(data: Uint8Array): void {
    this.#log(
      `received ${data.length} bytes: ${preview([data], this.#previewLength)}`,
    );
    super.dataReceived(data);
  }

  override forwardReadConnectionLost(): void {
    this.#log("peer half-closed");
    super.forwardReadConnectionLost();
  }

  override connectionLost(reason: ConnectionClosed): void {
    this.#log(`connection lost: ${reason.name}: ${reason.message}`);
    this.#lost = true;
    super.connectionLost(reason);
  }

  override bufferFull(): void {
    this.#log(`bufferFull (${this.bufferedAmount} bytes buffered)`);
    super.bufferFull();
  }

  override bufferDrained(): void {
    this.#log(`bufferDrained (${this.bufferedAmount} bytes buffered)`);
    super.bufferDrained();
  }

  override write(data: Uint8Array | string): void {
    const bytes = checkedBytes(data);
    this.#log(
      `sent ${bytes.length} bytes: ${preview([bytes], this.#previewLength)}`,
    );
    super.write(bytes);
  }

  override writeSequence(chunks: Iterable<Uint8Array | string>): void {
    const all = checkedChunks(chunks).map(toBytes);
    const total = all.reduce((n, c) => n + c.length, 0);
    this.#log(
      `sent ${total} bytes in ${all.length} chunks: ${
        preview(all, this.#previewLength)
      }`,
    );
    super.writeSequence(all);
  }

  override loseConnection(options?: LoseConnectionOptions): void {
    this.#log(
      options?.timeout === undefined
        ? "loseConnection"
        : `loseConnection (timeout ${options.timeout} ms)`,
    );
    super.loseConnection(options);
  }

  override abortConnection(): void {
    this.#log("abortConnection");
    super.abortConnection();
  }

  override loseWriteConnection(): void {
    this.#log("loseWriteConnection");
    super.loseWriteConnection();
  }

  override pauseProducing(): void {
    this.#log("pauseProducing (reading paused)");
    super.pauseProducing();
  }

  override resumeProducing(): void {
    this.#log("resumeProducing (reading resumed)");
    super.resumeProducing();
  }

  override stopProducing(): void {
    this.#log("stopProducing (reading stopped)");
    super.stopProducing();
  }

  override registerProducer(producer: Producer, streaming: boolean): void {
    this.#log(`registerProducer (${streaming ? "streaming" : "pull"})`);
    super.registerProducer(producer, streaming);
  }

  override unregisterProducer(): void {
    this.#log("unregisterProducer");
    super.unregisterProducer();
  }
}
