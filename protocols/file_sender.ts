/**
 * `FileSender`: send a file or a stream through a transport as a pull
 * producer (Twisted's `twisted.protocols.basic.FileSender`), and
 * `FileTransferStoppedError`, what its promise rejects with when the
 * transport stops it.
 *
 * ```text
 *            resumeProducing()            write(chunk)
 * transport ------------------> sender --------------> transport buffer
 *     ^   (buffer ran empty)      | read(CHUNK_SIZE)          |
 *     |                           v                          v
 *     +----------------------- source                   the socket
 * ```
 *
 * One chunk is read per `resumeProducing()`, and the transport calls it only
 * when everything written before has gone to the operating system: a slow
 * peer slows the reading of the file, and at most one chunk is buffered.
 *
 * @module
 */

import type { Producer, Transport } from "./transport.ts";

/** What a `FileSender` can send: a byte stream or an open file. */
export type FileSenderSource = ReadableStream<Uint8Array> | Deno.FsFile;

/**
 * The transport stopped a `FileSender` before the whole source was sent:
 * the connection closed or was aborted. The promise of
 * `beginFileTransfer` rejects with it.
 *
 * @example What the error says
 * ```ts
 * import assert from "node:assert/strict";
 * import { FileTransferStoppedError } from "@torsion/protocols";
 *
 * const error = new FileTransferStoppedError(65536);
 * assert.equal(error.name, "FileTransferStoppedError");
 * assert.equal(error.message, "File transfer stopped by the consumer: 65536 bytes sent");
 * ```
 */
export class FileTransferStoppedError extends Error {
  /** Bytes written to the transport before the transfer was stopped. */
  readonly bytesSent: number;

  /**
   * Makes the error.
   *
   * @param bytesSent Bytes written to the transport before the stop.
   * @param options `cause`, as for any `Error`.
   */
  constructor(bytesSent: number, options?: ErrorOptions) {
    super(
      `File transfer stopped by the consumer: ${bytesSent} bytes sent`,
      options,
    );
    this.name = "FileTransferStoppedError";
    this.bytesSent = bytesSent;
  }
}

// A stream or a file, read the same way.
interface SourceReader {
  read(size: number): Promise<Uint8Array | null>;
  // Let go of the source: "finished" and "failed" close the file ("failed"
  // also cancels the stream, with the reason); "abandoned" (the transfer
  // never started) only releases the stream's lock.
  release(how: "finished" | "failed" | "abandoned", reason?: unknown): void;
}

// One transfer's state. A new object per transfer, so that a read still in
// flight when its transfer ends can tell, and does nothing.
interface Transfer {
  transport: Transport;
  transform: ((chunk: Uint8Array) => Uint8Array) | undefined;
  source: SourceReader;
  done: PromiseWithResolvers<void>;
  reading: boolean;
}

/**
 * Sends a `ReadableStream<Uint8Array>` or a `Deno.FsFile` through a
 * transport, registered as a pull producer: each time the transport's buffer
 * runs empty it calls `resumeProducing()`, and the sender reads one chunk (at
 * most `CHUNK_SIZE` bytes) and writes it. Reading is asynchronous: a
 * `resumeProducing()` that arrives while a read is in flight is ignored (the
 * write that read ends with makes the transport ask again).
 *
 * The sender owns the source from `beginFileTransfer` on: however the
 * transfer ends, the file is closed and the stream's lock released (the
 * stream is cancelled if the transfer did not finish). The promise resolves
 * once the last chunk is written to the transport (not yet necessarily sent:
 * call `loseConnection()` then, which flushes). It rejects with
 * `FileTransferStoppedError` when the transport stops the producer (the
 * connection closed, or was aborted, or `stopProducing()` was called to
 * cancel), and with the source's own error when reading (or `transform`)
 * fails: the producer is unregistered, and the connection stays open, so
 * abort it if the peer must not take a partial file for a whole one.
 *
 * Unlike Twisted's, which reads 16 KiB, the default chunk is 64 KiB (the
 * default high-water mark): fewer round trips through the event loop.
 *
 * @example Serving a file, then closing
 * ```ts
 * import assert from "node:assert/strict";
 * import { Factory, FileSender, listen, Protocol } from "@torsion/protocols";
 *
 * const path = await Deno.makeTempFile();
 * await Deno.writeTextFile(path, "the whole file\n");
 *
 * class Download extends Protocol {
 *   override connectionMade(): void {
 *     const transport = this.transport!;
 *     Deno.open(path)
 *       .then((file) => new FileSender().beginFileTransfer(file, transport))
 *       .then(() => transport.loseConnection()) // flushes, then closes
 *       .catch(() => transport.abortConnection()); // stopped, or the file failed
 *   }
 * }
 *
 * await using port = await listen("tcp:0:interface=127.0.0.1", Factory.forProtocol(Download));
 * const { port: portNumber } = port.addr as Deno.NetAddr;
 * const conn = await Deno.connect({ hostname: "127.0.0.1", port: portNumber });
 * assert.equal(await new Response(conn.readable).text(), "the whole file\n");
 * await Deno.remove(path);
 * ```
 *
 * @example Driving it by hand over an in-memory transport
 * ```ts
 * import assert from "node:assert/strict";
 * import { FileSender } from "@torsion/protocols";
 * import { StringTransport } from "@torsion/protocols/testing";
 *
 * const transport = new StringTransport();
 * const source = ReadableStream.from([new TextEncoder().encode("hello")]);
 * const done = new FileSender().beginFileTransfer(source, transport);
 * // StringTransport does not pull by itself: act as the transport does.
 * while (transport.producer !== null) {
 *   transport.producer.resumeProducing();
 *   await new Promise((resolve) => setTimeout(resolve, 0));
 * }
 * await done;
 * assert.equal(transport.valueText(), "hello");
 * ```
 */
export class FileSender implements Producer {
  /** The most bytes read (and written) per `resumeProducing()`. */
  CHUNK_SIZE: number = 64 * 1024;
  #transfer: Transfer | null = null;
  #bytesSent = 0;

  /** Bytes written to the transport by the current (or last) transfer. */
  get bytesSent(): number {
    return this.#bytesSent;
  }

  /** True while a transfer runs. */
  get active(): boolean {
    return this.#transfer !== null;
  }

  /**
   * Start sending `source` through `transport`: registers this sender as
   * the transport's pull producer (`registerProducer(this, false)`).
   *
   * @param source The bytes to send: a stream (not locked) or an open file.
   *   The sender owns it from now on (see the class docs).
   * @param transport Where to write them.
   * @param transform Applied to each chunk before it is written (a chunk it
   *   maps to no bytes is skipped). Its result belongs to the transport.
   * @returns Resolves once everything is written to the transport (the
   *   producer is unregistered then). Rejects with
   *   `FileTransferStoppedError` if the transport stops the producer, with
   *   the source's (or `transform`'s) error if that fails, and without
   *   touching the source if the transfer cannot start: an `Error` when
   *   this sender is busy (one transfer at a time) or the transport already
   *   has a producer, a `TypeError` when the stream is locked or the source
   *   is neither a stream nor a file. A rejection of this promise that
   *   nobody handles is not reported as unhandled (one of a promise chained
   *   to it still is).
   * @throws {FileTransferStoppedError} (as a rejection) When the transport
   *   stops the producer before the end.
   * @throws {TypeError} (as a rejection) When the stream is locked or the
   *   source is neither a stream nor a file.
   * @throws {Error} (as a rejection) When this sender is busy or the
   *   transport already has a producer.
   *
   * @example Upper-casing a stream on its way out
   * ```ts
   * import assert from "node:assert/strict";
   * import { FileSender } from "@torsion/protocols";
   * import { StringTransport } from "@torsion/protocols/testing";
   *
   * const transport = new StringTransport();
   * const source = ReadableStream.from([new TextEncoder().encode("shout")]);
   * const upper = (chunk: Uint8Array): Uint8Array =>
   *   new TextEncoder().encode(new TextDecoder().decode(chunk).toUpperCase());
   * const done = new FileSender().beginFileTransfer(source, transport, upper);
   * while (transport.producer !== null) { // pull, as a real transport does
   *   transport.producer.resumeProducing();
   *   await new Promise((resolve) => setTimeout(resolve, 0));
   * }
   * await done;
   * assert.equal(transport.valueText(), "SHOUT");
   * ```
   */
  beginFileTransfer(
    source: FileSenderSource,
    transport: Transport,
    transform?: (chunk: Uint8Array) => Uint8Array,
  ): Promise<void> {
    if (this.#transfer !== null) {
      return Promise.reject(
        new Error("FileSender is busy: a transfer is already running"),
      );
    }
    let reader: SourceReader;
    try {
      reader = sourceReader(source);
    } catch (error) {
      return Promise.reject(error);
    }
    const transfer: Transfer = {
      transport,
      transform,
      source: reader,
      done: Promise.withResolvers<void>(),
      reading: false,
    };
    // A closed connection while nobody listens must not crash the process.
    transfer.done.promise.catch(() => {});
    this.#transfer = transfer;
    this.#bytesSent = 0;
    try {
      // Calls resumeProducing at once; on a closed transport, stopProducing.
      transport.registerProducer(this, false);
    } catch (error) {
      if (this.#transfer === transfer) this.#transfer = null;
      transfer.source.release("abandoned");
      return Promise.reject(error);
    }
    return transfer.done.promise;
  }

  /** Read the next chunk and write it; ignored while a read is in flight. */
  resumeProducing(): void {
    const transfer = this.#transfer;
    if (transfer === null || transfer.reading) return;
    transfer.reading = true;
    this.#readNext(transfer);
  }

  /** A pull producer is never paused: nothing to do. */
  pauseProducing(): void {}

  /**
   * Stop the transfer: the transport calls it when the connection goes
   * away; call it yourself to cancel. The source is let go of, the producer
   * unregistered, and the promise of `beginFileTransfer` rejects with
   * `FileTransferStoppedError`. No-op when no transfer runs.
   *
   * @example Cancelling a transfer
   * ```ts
   * import assert from "node:assert/strict";
   * import { FileSender, FileTransferStoppedError } from "@torsion/protocols";
   * import { StringTransport } from "@torsion/protocols/testing";
   *
   * const sender = new FileSender();
   * const transport = new StringTransport();
   * const done = sender.beginFileTransfer(ReadableStream.from([new Uint8Array(10)]), transport);
   * sender.stopProducing();
   * await assert.rejects(done, FileTransferStoppedError);
   * assert.equal(transport.producer, null);
   * ```
   */
  stopProducing(): void {
    const transfer = this.#transfer;
    if (transfer === null) return;
    const error = new FileTransferStoppedError(this.#bytesSent);
    this.#end(transfer, "failed", error);
    transfer.done.reject(error);
  }

  async #readNext(transfer: Transfer): Promise<void> {
    try {
      while (true) {
        const chunk = await transfer.source.read(this.CHUNK_SIZE);
        if (this.#transfer !== transfer) return; // stopped meanwhile
        if (chunk === null) {
          this.#end(transfer, "finished");
          transfer.done.resolve();
          return;
        }
        const bytes = transfer.transform ? transfer.transform(chunk) : chunk;
        if (bytes.length === 0) continue; // nothing written: nothing asks again
        this.#bytesSent += bytes.length;
        // Cleared first: a consumer may ask again from inside write.
        transfer.reading = false;
        transfer.transport.write(bytes);
        return;
      }
    } catch (error) {
      if (this.#transfer !== transfer) return;
      this.#end(transfer, "failed", error);
      transfer.done.reject(error);
    }
  }

  #end(
    transfer: Transfer,
    how: "finished" | "failed",
    reason?: unknown,
  ): void {
    this.#transfer = null;
    transfer.reading = false;
    // A pending loseConnection goes ahead once we are unregistered.
    transfer.transport.unregisterProducer();
    transfer.source.release(how, reason);
  }
}

function sourceReader(source: FileSenderSource): SourceReader {
  if (source instanceof ReadableStream) {
    if (source.locked) throw new TypeError("Cannot send a locked stream");
    const reader = source.getReader();
    // What is left of a stream chunk larger than CHUNK_SIZE.
    let rest: Uint8Array | null = null;
    let finished = false;
    return {
      async read(size: number): Promise<Uint8Array | null> {
        let chunk = rest;
        rest = null;
        while (chunk === null || chunk.length === 0) {
          const result = await reader.read();
          if (result.done) {
            finished = true;
            return null;
          }
          chunk = result.value;
        }
        if (chunk.length > size) {
          rest = chunk.subarray(size);
          chunk = chunk.subarray(0, size);
        }
        return chunk;
      },
      release(how, reason): void {
        if (how === "failed" && !finished) {
          // Also settles a read in flight, which then finds its transfer over.
          reader.cancel(reason).catch(() => {});
        }
        reader.releaseLock();
      },
    };
  }
  const file = source as Partial<Deno.FsFile> | null;
  if (typeof file?.read !== "function" || typeof file.close !== "function") {
    throw new TypeError(
      "Cannot send this source: expected a ReadableStream or a Deno.FsFile",
    );
  }
  const fsFile = source as Deno.FsFile;
  return {
    async read(size: number): Promise<Uint8Array | null> {
      // A fresh buffer each time: the transport keeps what is written.
      const buffer = new Uint8Array(size);
      const n = await fsFile.read(buffer);
      return n === null ? null : buffer.subarray(0, n);
    },
    release(how): void {
      if (how === "abandoned") return;
      try {
        fsFile.close();
      } catch {
        // Closed already (by its owner, or a failed read).
      }
    },
  };
}
