// Backpressure over real loopback sockets: a push producer held by the water
// marks, a paused LineReceiver holding a flooding peer in the kernel, and
// close timeouts for producers that never finish (on the fake clock).

import assert from "node:assert/strict";
import {
  ConnectionAborted,
  type ConnectionClosed,
  LineReceiver,
  type Producer,
} from "../../mod.ts";
import {
  FileSender,
  FileTransferStoppedError,
} from "../../protocols/file_sender.ts";
import { Clock } from "../../testing/mod.ts";
import {
  concat,
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

const KiB = 1024;
const MiB = 1024 * KiB;

function turn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * A push producer writing `payload` in `writeSize` pieces as fast as it is
 * let, recording the buffered amount after every write and at every pause
 * and resume.
 */
class Pusher extends Recorder implements Producer {
  paused = false;
  sent = 0;
  maxBuffered = 0;
  pausedAt: number[] = [];
  resumedAt: number[] = [];
  constructor(readonly payload: Uint8Array, readonly writeSize: number) {
    super();
  }

  override connectionMade(): void {
    super.connectionMade();
    this.transport!.registerProducer(this, true);
    this.#produce();
  }

  #produce(): void {
    const transport = this.transport!;
    while (!this.paused && this.sent < this.payload.length) {
      const end = Math.min(this.sent + this.writeSize, this.payload.length);
      transport.write(this.payload.subarray(this.sent, end));
      this.sent = end;
      this.maxBuffered = Math.max(this.maxBuffered, transport.bufferedAmount);
    }
    if (this.sent === this.payload.length && !this.paused) {
      transport.unregisterProducer();
      transport.loseConnection();
    }
  }

  pauseProducing(): void {
    this.pausedAt.push(this.transport!.bufferedAmount);
    this.paused = true;
  }

  resumeProducing(): void {
    this.resumedAt.push(this.transport!.bufferedAmount);
    this.paused = false;
    this.#produce(); // from inside the flush, as Twisted producers do
  }

  stopProducing(): void {
    this.paused = true;
  }
}

Deno.test("a peer that never reads: a push producer is paused above the high mark and resumed at the low mark", async () => {
  const payload = pattern(24 * MiB, 11);
  const writeSize = 10_000; // not a divisor of the marks
  const factory = new ListFactory(() => new Pusher(payload, writeSize));
  await using port = await serve(factory);
  const client = await connectTo(port);
  const server = await factory.nth(0);
  await server.made.promise;
  const high = server.transport!.highWaterMark;
  const low = server.transport!.lowWaterMark;
  assert.equal(high, 64 * KiB);
  assert.equal(low, 16 * KiB);

  // The client reads nothing: the kernel takes what it can, then the
  // producer is paused for good.
  const stalledAt = await settled(() => server.sent);
  assert.ok(stalledAt < payload.length, `sent ${stalledAt}`);
  assert.equal(server.paused, true);
  assert.equal(server.pausedAt.length, server.resumedAt.length + 1);
  // Paused above the high mark, and not yet drained to the low mark: the
  // last write to the socket waits for the peer.
  const buffered = server.transport!.bufferedAmount;
  assert.ok(buffered > low && buffered <= high + writeSize, `${buffered}`);
  console.log(
    `  never-reading peer: paused after ${stalledAt} bytes ` +
      `(${server.pausedAt.length} pauses), ${buffered} buffered in the process`,
  );

  // Now read everything: the producer runs to the end.
  const received = await readAll(client);
  client.close();
  await server.lost.promise;
  assert.equal(received.length, payload.length);
  assert.deepEqual(received, payload);

  assert.ok(server.maxBuffered <= high + writeSize, `${server.maxBuffered}`);
  for (const at of server.pausedAt) {
    assert.ok(at > high && at <= high + writeSize, `paused at ${at}`);
  }
  for (const at of server.resumedAt) {
    assert.ok(at <= low, `resumed at ${at}`);
  }
  assert.ok(server.resumedAt.length >= 1);
});

Deno.test("water marks set on the factory: pause and resume follow them", async () => {
  const payload = pattern(2 * MiB, 12);
  const factory = new ListFactory(() => new Pusher(payload, 1000));
  factory.highWaterMark = 8 * KiB;
  factory.lowWaterMark = 2 * KiB;
  await using port = await serve(factory);
  const client = await connectTo(port);
  const received = await readAll(client);
  client.close();
  const server = await factory.nth(0);
  await server.lost.promise;
  assert.deepEqual(received, payload);
  assert.ok(server.maxBuffered <= 8 * KiB + 1000);
  assert.ok(server.pausedAt.every((at) => at > 8 * KiB && at <= 9 * KiB));
  assert.ok(server.resumedAt.every((at) => at <= 2 * KiB));
});

Deno.test("bufferFull and bufferDrained alternate when the producer writes from resumeProducing", async () => {
  // A protocol that tracks the hooks as a flag must end up right: each
  // bufferFull is followed by a bufferDrained before the next bufferFull,
  // and bufferDrained never runs while the buffer is above the high mark.
  const hooks: string[] = [];
  class Tracker extends Pusher {
    override bufferFull(): void {
      hooks.push("full");
    }
    override bufferDrained(): void {
      const transport = this.transport!;
      hooks.push(
        transport.bufferedAmount > transport.highWaterMark
          ? "drained-while-full"
          : "drained",
      );
    }
  }
  const payload = pattern(1 * MiB, 13);
  const factory = new ListFactory(() => new Tracker(payload, 16 * KiB));
  await using port = await serve(factory);
  const client = await connectTo(port);
  assert.deepEqual(await readAll(client), payload);
  client.close();
  await (await factory.nth(0)).lost.promise;
  assert.ok(hooks.length >= 2);
  assert.ok(!hooks.includes("drained-while-full"), hooks.join(" "));
  hooks.forEach((hook, i) =>
    assert.equal(hook, i % 2 === 0 ? "full" : "drained", hooks.join(" "))
  );
});

Deno.test("a producer registered once connectionLost was delivered is stopped at once", async () => {
  let stopped = 0;
  let resumed = 0;
  class Late extends Recorder {
    override connectionLost(reason: ConnectionClosed): void {
      super.connectionLost(reason);
      // Nothing written now would ever leave: waiting would hang forever.
      this.transport!.registerProducer({
        resumeProducing: () => resumed++,
        stopProducing: () => stopped++,
      }, false);
    }
  }
  const factory = new ListFactory(() => new Late());
  await using port = await serve(factory);
  const client = await connectTo(port);
  const server = await factory.nth(0);
  await server.made.promise;
  client.close();
  await server.lost.promise;
  assert.equal(stopped, 1);
  assert.equal(resumed, 0);
});

Deno.test("a producer registered after the write side was shut is stopped at once", async () => {
  class HalfShut extends Recorder {
    override connectionMade(): void {
      super.connectionMade();
      this.transport!.write("bye");
      this.transport!.loseWriteConnection();
    }
    override readConnectionLost(): void {}
  }
  const factory = new ListFactory(() => new HalfShut());
  await using port = await serve(factory);
  const client = await connectTo(port);
  assert.equal(new TextDecoder().decode(await readAll(client)), "bye");
  const server = await factory.nth(0);
  let stopped = 0;
  server.transport!.registerProducer({
    resumeProducing() {},
    stopProducing: () => stopped++,
  }, false);
  assert.equal(stopped, 1);
  client.close();
  await server.lost.promise;
});

// Lines of LINE bytes: the number, dots, CRLF.
const LINE = 1000;

function lines(count: number): Uint8Array {
  const out = new Uint8Array(count * LINE).fill(0x2e);
  for (let i = 0; i < count; i++) {
    out.set(encoder.encode(String(i)), i * LINE);
    out[i * LINE + LINE - 2] = 13;
    out[i * LINE + LINE - 1] = 10;
  }
  return out;
}

class Counting extends LineReceiver {
  count = 0;
  outOfOrder = 0;
  lost = Promise.withResolvers<ConnectionClosed>();
  #all = Promise.withResolvers<void>();
  constructor(readonly expected: number) {
    super();
  }
  get all(): Promise<void> {
    return this.#all.promise;
  }
  override lineBytesReceived(line: Uint8Array): void {
    const dot = line.indexOf(0x2e);
    const n = Number(new TextDecoder().decode(line.subarray(0, dot)));
    if (n !== this.count || line.length !== LINE - 2) this.outOfOrder++;
    this.count++;
    if (n === 0) this.pauseProducing(); // the flood's first line
    if (this.count === this.expected) this.#all.resolve();
  }
  override connectionLost(reason: ConnectionClosed): void {
    this.lost.resolve(reason);
  }
}

Deno.test("a paused LineReceiver holds a flooding peer in the kernel, then gets every line in order", async () => {
  const count = 64 * 1024; // 64 MiB
  const flood = lines(count);
  const factory = new ListFactory(() => new Counting(count));
  await using port = await serve(factory);
  const client = await connectTo(port);
  const server = await factory.nth(0);
  let sent = 0;
  let writing = false;
  const writer = (async () => {
    while (sent < flood.length) {
      writing = true;
      sent += await client.write(flood.subarray(sent));
      writing = false;
    }
  })();

  const stalledAt = await settled(() => sent);
  // The client's write is stuck: the bytes wait in kernel buffers.
  assert.ok(stalledAt < flood.length, `sent ${stalledAt}`);
  assert.equal(writing, true);
  assert.equal(server.paused, true);
  assert.equal(server.count, 1);
  // The process took no more than the read that brought the first line.
  const received = port.metrics.bytesReceived;
  assert.ok(received <= 64 * KiB, `received ${received}`);
  console.log(
    `  paused LineReceiver: the peer managed to send ${stalledAt} bytes ` +
      `(kernel buffers), the server process read ${received}`,
  );

  server.resumeProducing();
  await writer;
  await server.all;
  assert.equal(server.count, count);
  assert.equal(server.outOfOrder, 0);
  assert.equal(port.metrics.bytesReceived, flood.length);
  client.close();
  await server.lost.promise;
});

/** Joins two connections: what one sends, the other receives (a proxy). */
class Joiner extends Recorder {
  peer: Joiner | null = null;
  maxPeerBuffered = 0;

  join(other: Joiner): void {
    this.peer = other;
    other.peer = this;
    // A transport is a push producer of what it reads: each side stops
    // reading while the other's write buffer is full.
    this.transport!.registerProducer(other.transport!, true);
    other.transport!.registerProducer(this.transport!, true);
  }

  override dataReceived(data: Uint8Array): void {
    const out = this.peer?.transport;
    if (!out) return;
    out.write(data);
    this.maxPeerBuffered = Math.max(this.maxPeerBuffered, out.bufferedAmount);
  }

  override connectionLost(reason: ConnectionClosed): void {
    super.connectionLost(reason);
    const peer = this.peer;
    if (peer === null) return;
    this.peer = peer.peer = null;
    peer.transport!.unregisterProducer(); // it was this side's transport
    peer.transport!.loseConnection();
  }
}

Deno.test("a proxy: the fast side is held by TCP while the slow side's buffer is full", async () => {
  const factory = new ListFactory(() => new Joiner());
  await using port = await serve(factory);
  const fast = await connectTo(port);
  const slow = await connectTo(port);
  const [a, b] = [await factory.nth(0), await factory.nth(1)];
  await a.made.promise;
  await b.made.promise;
  a.join(b);

  const flood = pattern(32 * MiB, 15);
  let sent = 0;
  const writer = (async () => {
    while (sent < flood.length) sent += await fast.write(flood.subarray(sent));
    fast.close(); // end of the stream: the proxy closes the other side
  })();
  const stalledAt = await settled(() => sent);
  assert.ok(stalledAt < flood.length, `sent ${stalledAt}`);
  const high = b.transport!.highWaterMark;
  // One read of the fast side (at most 64 KiB) may land past the mark.
  assert.ok(a.maxPeerBuffered <= high + 64 * KiB, `${a.maxPeerBuffered}`);
  console.log(
    `  proxy: the fast peer got ${stalledAt} bytes into kernel buffers; ` +
      `the proxy held at most ${a.maxPeerBuffered} for the slow side`,
  );

  const received = await readAll(slow); // the slow side reads at last
  await writer;
  slow.close();
  assert.equal(received.length, flood.length);
  assert.deepEqual(received, flood);
  assert.ok(a.maxPeerBuffered <= high + 64 * KiB);
  await a.lost.promise;
  await b.lost.promise;
});

/** Resolves once `port.close()` has called `loseConnection` on `recorder`. */
async function disconnecting(recorder: Recorder): Promise<void> {
  while (!recorder.transport!.disconnecting) await turn();
}

Deno.test("close({ timeout }) aborts a connection whose push producer never unregisters (fake clock)", async () => {
  const clock = new Clock();
  const calls: string[] = [];
  class Hog extends Recorder {
    override connectionMade(): void {
      super.connectionMade();
      this.transport!.registerProducer({
        resumeProducing: () => calls.push("resume"),
        pauseProducing: () => calls.push("pause"),
        stopProducing: () => calls.push("stop"),
      }, true);
      this.transport!.write("hello");
    }
  }
  const factory = new ListFactory(() => new Hog());
  const port = await serve(factory, { clock });
  const client = await connectTo(port);
  const server = await factory.nth(0);
  assert.equal((await readN(client, 5)).length, 5); // nothing left buffered
  const closed = port.close({ timeout: 3000 });
  await disconnecting(server);
  await turn();
  await turn();
  assert.equal(server.reason, null); // waiting for unregisterProducer
  clock.advance(2999);
  assert.equal(server.reason, null);
  clock.advance(1);
  const reason = await server.lost.promise;
  assert.ok(reason instanceof ConnectionAborted, reason.name);
  assert.match(reason.message, /3000 ms/);
  assert.deepEqual(calls, ["stop"]);
  await closed;
  assert.equal(port.connections, 0);
  assert.equal((await readAll(client)).length, 0);
  client.close();
});

Deno.test("close({ timeout }) aborts a FileSender whose source stalls; its promise rejects and the stream is cancelled", async () => {
  const clock = new Clock();
  let cancelled = 0;
  class Stalled extends Recorder {
    transfer: Promise<void> | null = null;
    override connectionMade(): void {
      super.connectionMade();
      const source = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(encoder.encode("first chunk"));
        },
        pull() {
          return new Promise(() => {}); // never another byte
        },
        cancel() {
          cancelled++;
        },
      });
      this.transfer = new FileSender().beginFileTransfer(
        source,
        this.transport!,
      );
    }
  }
  const factory = new ListFactory(() => new Stalled());
  const port = await serve(factory, { clock });
  const client = await connectTo(port);
  const server = await factory.nth(0);
  assert.deepEqual(
    await readN(client, 11),
    encoder.encode("first chunk"),
  );
  const closed = port.close({ timeout: 500 });
  await disconnecting(server);
  await turn();
  assert.equal(server.reason, null);
  clock.advance(500);
  assert.ok((await server.lost.promise) instanceof ConnectionAborted);
  await assert.rejects(server.transfer!, FileTransferStoppedError);
  assert.equal(cancelled, 1);
  await closed;
  client.close();
});

Deno.test("loseConnection waits for a push producer to unregister, then flushes and closes", async () => {
  const payload = pattern(1 * MiB, 14);
  let producer: Producer | null = null;
  class Finisher extends Recorder {
    override connectionMade(): void {
      super.connectionMade();
      producer = { resumeProducing() {}, stopProducing() {} };
      this.transport!.registerProducer(producer, true);
      this.transport!.write(payload.subarray(0, payload.length / 2));
      this.transport!.loseConnection();
      // Still writable while the producer is registered.
      this.transport!.write(payload.subarray(payload.length / 2));
    }
  }
  const factory = new ListFactory(() => new Finisher());
  await using port = await serve(factory);
  const client = await connectTo(port);
  const server = await factory.nth(0);
  const head = await readN(client, payload.length);
  assert.deepEqual(head, payload);
  assert.equal(server.reason, null);
  server.transport!.unregisterProducer();
  const rest = await readAll(client);
  assert.equal(rest.length, 0);
  await server.lost.promise;
  assert.deepEqual(concat([head, rest]), payload);
  client.close();
});
