// FileSender: Twisted's FileSenderTests over StringTransport (the sender
// driven by hand), then real files and streams over loopback sockets.

import assert from "node:assert/strict";
import { ConnectionDone, Protocol } from "../../mod.ts";
import {
  FileSender,
  FileTransferStoppedError,
} from "../../protocols/file_sender.ts";
import { StringTransport } from "../../testing/mod.ts";
import {
  connectTo,
  encoder,
  ListFactory,
  pattern,
  readAll,
  readN,
  Recorder,
  serve,
  settled,
} from "../_net.ts";

/** Let pending promise callbacks (a read that resolved) run. */
function turn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Act as a transport does: ask for more until the sender unregisters. */
async function drive(transport: StringTransport): Promise<void> {
  while (transport.producer !== null) {
    transport.producer.resumeProducing();
    await turn();
  }
}

/** A file whose reads complete when the test says so, counting reads. */
class ManualFile {
  reads: { size: number; resolve: (bytes: Uint8Array | null) => void }[] = [];
  closed = 0;
  failWith: Error | null = null;

  read(buffer: Uint8Array): Promise<number | null> {
    if (this.failWith !== null) return Promise.reject(this.failWith);
    const { promise, resolve } = Promise.withResolvers<Uint8Array | null>();
    this.reads.push({ size: buffer.length, resolve });
    return promise.then((bytes) => {
      if (bytes === null) return null;
      buffer.set(bytes);
      return bytes.length;
    });
  }

  close(): void {
    if (this.closed++ > 0) throw new Deno.errors.BadResource("closed twice");
  }

  asFile(): Deno.FsFile {
    return this as unknown as Deno.FsFile;
  }
}

/** A transfer from a ManualFile to a StringTransport, just begun. */
function manualTransfer(chunkSize?: number): {
  file: ManualFile;
  transport: StringTransport;
  sender: FileSender;
  done: Promise<void>;
} {
  const file = new ManualFile();
  const transport = new StringTransport();
  const sender = new FileSender();
  if (chunkSize !== undefined) sender.CHUNK_SIZE = chunkSize;
  const done = sender.beginFileTransfer(file.asFile(), transport);
  return { file, transport, sender, done };
}

/** A stream that records how it was read and cancelled. */
function recordingStream(chunks: Uint8Array[]): {
  stream: ReadableStream<Uint8Array>;
  cancelled: unknown[];
} {
  const cancelled: unknown[] = [];
  let index = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (index < chunks.length) controller.enqueue(chunks[index++]);
      else controller.close();
    },
    cancel(reason) {
      cancelled.push(reason);
    },
  }, { highWaterMark: 0 });
  return { stream, cancelled };
}

Deno.test("FileSender registers itself as a pull producer", async () => {
  const transport = new StringTransport();
  const sender = new FileSender();
  const done = sender.beginFileTransfer(
    ReadableStream.from([encoder.encode("Test content")]),
    transport,
  );
  assert.equal(transport.producer, sender);
  assert.equal(transport.streaming, false);
  assert.equal(sender.active, true);
  await drive(transport);
  await done;
  assert.equal(sender.active, false);
});

Deno.test("FileSender sends the whole source, then unregisters and resolves", async () => {
  const transport = new StringTransport();
  const sender = new FileSender();
  let resolved = false;
  const done = sender.beginFileTransfer(
    ReadableStream.from([encoder.encode("Test "), encoder.encode("content")]),
    transport,
  ).then(() => resolved = true);
  transport.producer!.resumeProducing();
  await turn();
  assert.equal(transport.valueText(), "Test ");
  transport.producer!.resumeProducing();
  await turn();
  assert.equal(transport.valueText(), "Test content");
  // As in Twisted: the end is only seen by the read after the last chunk.
  assert.equal(resolved, false);
  assert.equal(transport.producer, sender);
  transport.producer!.resumeProducing();
  await done;
  assert.equal(resolved, true);
  assert.equal(transport.producer, null);
  assert.equal(sender.bytesSent, 12);
});

Deno.test("FileSender reads at most CHUNK_SIZE per resumeProducing, splitting large stream chunks", async () => {
  const transport = new StringTransport();
  const sender = new FileSender();
  sender.CHUNK_SIZE = 4;
  const done = sender.beginFileTransfer(
    ReadableStream.from([encoder.encode("Test content")]),
    transport,
  );
  const seen: string[] = [];
  while (transport.producer !== null) {
    transport.producer.resumeProducing();
    await turn();
    seen.push(transport.valueText());
  }
  await done;
  assert.deepEqual(seen, [
    "Test",
    "Test con",
    "Test content",
    "Test content",
  ]);
});

Deno.test("FileSender reads a file CHUNK_SIZE bytes at a time and closes it at the end", async () => {
  const { file, transport, done } = manualTransfer(5);
  transport.producer!.resumeProducing();
  assert.equal(file.reads.length, 1);
  assert.equal(file.reads[0].size, 5);
  file.reads[0].resolve(encoder.encode("hello"));
  await turn();
  assert.equal(transport.valueText(), "hello");
  transport.producer!.resumeProducing();
  file.reads[1].resolve(null);
  await done;
  assert.equal(file.closed, 1);
  assert.equal(transport.producer, null);
});

Deno.test("FileSender ignores resumeProducing while a read is in flight", async () => {
  const { file, transport, sender, done } = manualTransfer();
  sender.resumeProducing();
  sender.resumeProducing();
  sender.resumeProducing();
  assert.equal(file.reads.length, 1);
  file.reads[0].resolve(encoder.encode("one"));
  await turn();
  assert.equal(transport.valueText(), "one");
  sender.resumeProducing();
  sender.resumeProducing();
  assert.equal(file.reads.length, 2);
  file.reads[1].resolve(null);
  await done;
  sender.resumeProducing(); // after the end: nothing happens
  assert.equal(file.reads.length, 2);
  assert.equal(file.closed, 1);
});

Deno.test("FileSender applies transform to each chunk, skipping chunks it empties", async () => {
  const transport = new StringTransport();
  const sender = new FileSender();
  const upper = (chunk: Uint8Array): Uint8Array => {
    const text = new TextDecoder().decode(chunk);
    return encoder.encode(text === "drop" ? "" : text.toUpperCase());
  };
  const done = sender.beginFileTransfer(
    ReadableStream.from(
      ["Test ", "drop", "content"].map((s) => encoder.encode(s)),
    ),
    transport,
    upper,
  );
  await drive(transport);
  await done;
  assert.equal(transport.valueText(), "TEST CONTENT");
  assert.equal(sender.bytesSent, 12);
});

Deno.test("stopProducing rejects with FileTransferStoppedError, cancels the stream and releases it", async () => {
  const { stream, cancelled } = recordingStream([
    encoder.encode("first"),
    encoder.encode("second"),
  ]);
  const transport = new StringTransport();
  const sender = new FileSender();
  const done = sender.beginFileTransfer(stream, transport);
  transport.producer!.resumeProducing();
  await turn();
  assert.equal(transport.valueText(), "first");
  sender.stopProducing();
  await assert.rejects(done, (error: unknown) => {
    assert.ok(error instanceof FileTransferStoppedError);
    assert.equal(error.name, "FileTransferStoppedError");
    assert.equal(error.bytesSent, 5);
    assert.equal(
      error.message,
      "File transfer stopped by the consumer: 5 bytes sent",
    );
    return true;
  });
  assert.equal(cancelled.length, 1);
  assert.ok(cancelled[0] instanceof FileTransferStoppedError);
  assert.equal(stream.locked, false);
  assert.equal(transport.producer, null);
  sender.stopProducing(); // no transfer: a no-op
});

Deno.test("stopProducing while a read is in flight: the file is closed and the late chunk never written", async () => {
  const { file, transport, sender, done } = manualTransfer();
  sender.resumeProducing();
  sender.stopProducing();
  await assert.rejects(done, FileTransferStoppedError);
  assert.equal(file.closed, 1);
  file.reads[0].resolve(encoder.encode("late"));
  await turn();
  assert.equal(transport.value().length, 0);
  assert.equal(file.reads.length, 1);
});

Deno.test("a failing read rejects with its error, unregisters and closes the file", async () => {
  const { file, transport, sender, done } = manualTransfer();
  file.failWith = new Deno.errors.PermissionDenied("disk says no");
  sender.resumeProducing();
  await assert.rejects(done, Deno.errors.PermissionDenied);
  assert.equal(transport.producer, null);
  assert.equal(file.closed, 1);
});

Deno.test("a throwing transform rejects with its error and cancels the stream", async () => {
  const { stream, cancelled } = recordingStream([encoder.encode("x")]);
  const transport = new StringTransport();
  const failure = new RangeError("Bad chunk");
  const done = new FileSender().beginFileTransfer(stream, transport, () => {
    throw failure;
  });
  transport.producer!.resumeProducing();
  await assert.rejects(done, (error) => error === failure);
  assert.deepEqual(cancelled, [failure]);
  assert.equal(stream.locked, false);
  assert.equal(transport.producer, null);
});

Deno.test("a transfer that cannot start rejects and leaves the source alone", async () => {
  const busyTransport = new StringTransport();
  busyTransport.registerProducer(
    { resumeProducing() {}, stopProducing() {} },
    true,
  );
  const { stream, cancelled } = recordingStream([encoder.encode("x")]);
  await assert.rejects(
    new FileSender().beginFileTransfer(stream, busyTransport),
    /already registered/,
  );
  assert.equal(stream.locked, false);
  assert.equal(cancelled.length, 0);

  const file = new ManualFile();
  await assert.rejects(
    new FileSender().beginFileTransfer(file.asFile(), busyTransport),
    /already registered/,
  );
  assert.equal(file.closed, 0);

  const locked = recordingStream([]).stream;
  const reader = locked.getReader();
  await assert.rejects(
    new FileSender().beginFileTransfer(locked, new StringTransport()),
    TypeError,
  );
  reader.releaseLock();

  await assert.rejects(
    new FileSender().beginFileTransfer(
      "not a file" as unknown as Deno.FsFile,
      new StringTransport(),
    ),
    TypeError,
  );

  const sender = new FileSender();
  const transport = new StringTransport();
  const first = sender.beginFileTransfer(
    ReadableStream.from([encoder.encode("a")]),
    transport,
  );
  const second = recordingStream([]);
  await assert.rejects(
    sender.beginFileTransfer(second.stream, new StringTransport()),
    /FileSender is busy: a transfer is already running/,
  );
  assert.equal(second.stream.locked, false);
  await drive(transport);
  await first;
  // Free again once done.
  const third = new StringTransport();
  const again = sender.beginFileTransfer(
    ReadableStream.from([encoder.encode("b")]),
    third,
  );
  await drive(third);
  await again;
  assert.equal(third.valueText(), "b");
});

Deno.test("an unhandled stop does not crash the process", async () => {
  const transport = new StringTransport();
  const sender = new FileSender();
  sender.beginFileTransfer(
    ReadableStream.from([encoder.encode("x")]),
    transport,
  );
  sender.stopProducing();
  await turn(); // an unhandled rejection would fail the test here
  assert.equal(sender.active, false);
});

// Over real sockets.

const MiB = 1024 * 1024;

async function tempFile(bytes: Uint8Array): Promise<string> {
  const path = await Deno.makeTempFile({ prefix: "torsion_file_sender_" });
  await Deno.writeFile(path, bytes);
  return path;
}

function isClosed(file: Deno.FsFile): boolean {
  try {
    file.statSync();
    return false;
  } catch (error) {
    return error instanceof Deno.errors.BadResource;
  }
}

class Sending extends Recorder {
  sender = new FileSender();
  result: Promise<void> | null = null;
  maxBuffered = 0;
  constructor(readonly source: () => ReadableStream<Uint8Array> | Deno.FsFile) {
    super();
  }
  override connectionMade(): void {
    super.connectionMade();
    const transport = this.transport!;
    this.result = this.sender.beginFileTransfer(
      this.source(),
      transport,
      (chunk) => {
        // Sampled just before each write: what the transport still holds.
        this.maxBuffered = Math.max(this.maxBuffered, transport.bufferedAmount);
        return chunk;
      },
    );
    this.result.then(() => transport.loseConnection(), () => {});
  }
}

Deno.test("a 4 MiB Deno.FsFile arrives whole; the file is closed; loseConnection after the promise", async () => {
  const payload = pattern(4 * MiB + 123, 5);
  const path = await tempFile(payload);
  const file = await Deno.open(path);
  try {
    const factory = new ListFactory(() => new Sending(() => file));
    await using port = await serve(factory);
    const client = await connectTo(port);
    const received = await readAll(client);
    client.close();
    const server = await factory.nth(0);
    await server.result;
    assert.ok((await server.lost.promise) instanceof ConnectionDone);
    assert.equal(received.length, payload.length);
    assert.deepEqual(received, payload);
    assert.equal(server.sender.bytesSent, payload.length);
    assert.ok(isClosed(file));
    assert.ok(server.maxBuffered <= server.sender.CHUNK_SIZE);
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("a ReadableStream of mixed chunk sizes arrives whole and in order", async () => {
  const payload = pattern(3 * MiB + 7, 9);
  const sizes = [1, 100, 70_000, 1 * MiB, 3, 65_536, 200_000];
  const chunks: Uint8Array[] = [];
  for (let at = 0, i = 0; at < payload.length; i++) {
    const size = sizes[i % sizes.length];
    chunks.push(payload.slice(at, at + size));
    at += size;
  }
  const factory = new ListFactory(() =>
    new Sending(() => ReadableStream.from(chunks))
  );
  await using port = await serve(factory);
  const client = await connectTo(port);
  const received = await readAll(client);
  client.close();
  const server = await factory.nth(0);
  await server.result;
  assert.deepEqual(received, payload);
  // Large chunks are split: never more than one CHUNK_SIZE buffered.
  assert.ok(server.maxBuffered <= server.sender.CHUNK_SIZE);
});

Deno.test("a peer that disconnects mid-transfer: the promise rejects and the file is closed", async () => {
  // A sparse 256 MiB file: far more than loopback buffers hold, no disk used.
  const path = await Deno.makeTempFile({ prefix: "torsion_file_sender_" });
  await Deno.truncate(path, 256 * MiB);
  const file = await Deno.open(path);
  try {
    const factory = new ListFactory(() => new Sending(() => file));
    await using port = await serve(factory);
    const client = await connectTo(port);
    await readN(client, 100_000);
    client.close(); // unread bytes left behind: the kernel resets
    const server = await factory.nth(0);
    const error = await server.result!.then(
      () => assert.fail("the transfer should not finish"),
      (e) => e,
    );
    assert.ok(error instanceof FileTransferStoppedError, String(error));
    assert.ok(error.bytesSent >= 100_000 && error.bytesSent < 256 * MiB);
    await server.lost.promise;
    assert.ok(isClosed(file));
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("a slow reader pauses the sender: reading stops and at most one chunk is buffered", async () => {
  const size = 64 * MiB;
  const path = await Deno.makeTempFile({ prefix: "torsion_file_sender_" });
  await Deno.truncate(path, size);
  const file = await Deno.open(path);
  try {
    const factory = new ListFactory(() => new Sending(() => file));
    await using port = await serve(factory);
    const client = await connectTo(port);
    const server = await factory.nth(0);
    await server.made.promise;
    // The client reads nothing: the kernel buffers fill, then reading stops.
    const stalledAt = await settled(() => server.sender.bytesSent);
    assert.ok(stalledAt < size, `sent ${stalledAt} of ${size}`);
    assert.ok(
      server.transport!.bufferedAmount <= server.transport!.highWaterMark,
    );
    console.log(
      `  slow reader: sender stalled after ${stalledAt} bytes (kernel buffers), ` +
        `${server.transport!.bufferedAmount} buffered in the process`,
    );
    // Now read slowly, in small pieces: the sender follows.
    let total = 0;
    const buffer = new Uint8Array(16 * 1024);
    while (true) {
      const n = await client.read(buffer);
      if (n === null) break;
      total += n;
      assert.ok(
        server.transport!.bufferedAmount <= server.transport!.highWaterMark,
      );
    }
    client.close();
    await server.result;
    assert.equal(total, size);
    assert.ok(server.maxBuffered <= server.sender.CHUNK_SIZE);
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("a transfer begun on a closed connection rejects at once", async () => {
  let sender: FileSender | null = null;
  let attempt: Promise<void> | null = null;
  class Late extends Recorder {
    override connectionLost(reason: ConnectionDone): void {
      super.connectionLost(reason);
      sender = new FileSender();
      attempt = sender.beginFileTransfer(
        ReadableStream.from([encoder.encode("too late")]),
        this.transport!,
      );
    }
  }
  const factory = new ListFactory(() => new Late());
  await using port = await serve(factory);
  const client = await connectTo(port);
  client.close();
  const server = await factory.nth(0);
  await server.lost.promise;
  // Stopped during registerProducer: nothing is left waiting.
  assert.equal(sender!.active, false);
  await assert.rejects(attempt!, FileTransferStoppedError);
});

// The example of the class docs, as a protocol a user would write.
Deno.test("FileSender doc pattern: then(loseConnection), catch(abortConnection)", async () => {
  const payload = pattern(200_000, 3);
  const path = await tempFile(payload);
  try {
    class Download extends Protocol {
      override connectionMade(): void {
        const transport = this.transport!;
        Deno.open(path)
          .then((file) => new FileSender().beginFileTransfer(file, transport))
          .then(() => transport.loseConnection())
          .catch(() => transport.abortConnection());
      }
    }
    await using port = await serve(new ListFactory(() => new Download()));
    const client = await connectTo(port);
    assert.deepEqual(await readAll(client), payload);
    client.close();
  } finally {
    await Deno.remove(path);
  }
});
