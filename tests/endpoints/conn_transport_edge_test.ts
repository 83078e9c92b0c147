// ConnTransport and its write buffer over a FakeConn, where each read and
// write completes when the test says: the orderings real sockets produce
// only by chance (EOF in the tick of an abort, data arriving while closing,
// a write finishing after the connection died), producers that throw or are
// registered while full, and STARTTLS around queued writes.

import assert from "node:assert/strict";
import {
  ConnectionAborted,
  type ConnectionClosed,
  ConnectionDone,
  ConnectionLost,
  ConnTransport,
  type ConnTransportOptions,
  Int16StringReceiver,
  type Producer,
  Protocol,
} from "../../mod.ts";
import { Clock } from "../../testing/mod.ts";
import { captureConsoleError, FakeConn, settle } from "./_fakes.ts";

const enc = new TextEncoder();
const b = (text: string): Uint8Array => enc.encode(text);

/** Records every hook call, in order. */
class Events extends Protocol {
  events: string[] = [];
  data: string[] = [];
  reasons: ConnectionClosed[] = [];
  override connectionMade(): void {
    this.events.push("made");
  }
  override dataReceived(data: Uint8Array): void {
    this.events.push("data");
    this.data.push(new TextDecoder().decode(data));
  }
  override connectionLost(reason: ConnectionClosed): void {
    this.events.push(`lost:${reason.name}`);
    this.reasons.push(reason);
  }
  override bufferFull(): void {
    this.events.push("full");
  }
  override bufferDrained(): void {
    this.events.push("drained");
  }
}

/** A producer recording its calls; `throwOn` names the call that throws. */
class RecordingProducer implements Producer {
  calls: string[] = [];
  constructor(readonly throwOn: string | null = null) {}
  #call(name: string): void {
    this.calls.push(name);
    if (name === this.throwOn) throw new Error(`${name} failed`);
  }
  pauseProducing(): void {
    this.#call("pause");
  }
  resumeProducing(): void {
    this.#call("resume");
  }
  stopProducing(): void {
    this.#call("stop");
  }
}

function start<P extends Protocol>(
  protocol: P,
  options: ConnTransportOptions = {},
  conn = new FakeConn(),
): {
  conn: FakeConn;
  transport: ConnTransport;
  protocol: P;
  errors: unknown[];
} {
  const errors: unknown[] = [];
  const transport = new ConnTransport(conn, protocol, {
    clock: new Clock(),
    onError: (error) => errors.push(error),
    ...options,
  });
  transport.start();
  return { conn, transport, protocol, errors };
}

Deno.test("ConnTransport: protocol is the protocol it drives", () => {
  const protocol = new Protocol();
  const { transport } = start(protocol);
  assert.equal(transport.protocol, protocol);
  assert.equal(protocol.transport, transport);
  transport.abortConnection();
});

Deno.test("ConnTransport: resumeProducing after stopProducing does not read again", async () => {
  const { conn, transport, protocol } = start(new Events());
  await settle();
  assert.equal(conn.reads, 1);
  transport.stopProducing();
  transport.resumeProducing();
  conn.feed(b("ignored"));
  await settle();
  assert.deepEqual(protocol.data, []);
  assert.deepEqual(protocol.events, ["made", "lost:ConnectionDone"]);
  assert.equal(conn.writeClosed, true);
});

Deno.test("ConnTransport: setTcpKeepAlive and setTcpNoDelay swallow the socket's errors", () => {
  const conn = new FakeConn();
  conn.optionError = new Deno.errors.BadResource("gone");
  const { transport } = start(new Protocol(), {}, conn);
  transport.setTcpKeepAlive(true);
  transport.setTcpNoDelay(false);
  conn.optionError = null;
  transport.setTcpKeepAlive(false);
  assert.deepEqual(conn.keepAlive, [false]);
  transport.abortConnection();
});

Deno.test("ConnTransport: what arrives while closing is read and dropped", async () => {
  const conn = new FakeConn();
  conn.autoWrite = false;
  const { transport, protocol } = start(new Events(), {}, conn);
  transport.write("bye");
  transport.loseConnection();
  await settle();
  assert.equal(conn.pendingWrites.length, 1); // flushing: not closed yet
  conn.feed(b("late data"));
  await settle();
  assert.deepEqual(protocol.data, []);
  assert.ok(conn.reading, "it keeps draining the socket");
  conn.completeWrite();
  await settle();
  assert.equal(conn.text(), "bye");
  assert.deepEqual(protocol.events, ["made", "lost:ConnectionDone"]);
  conn.end(); // the peer closes too: the socket is released
  await transport.closed;
  assert.equal(conn.closed, true);
});

Deno.test("ConnTransport: a read finished while paused and then aborted is never delivered", async () => {
  const { conn, transport, protocol } = start(new Events());
  await settle();
  transport.pauseProducing();
  conn.feed(b("held"));
  await settle();
  assert.deepEqual(protocol.data, []); // held until resumed
  transport.abortConnection();
  await transport.closed;
  assert.deepEqual(protocol.data, []);
  assert.deepEqual(protocol.events, ["made", "lost:ConnectionAborted"]);
});

Deno.test("ConnTransport: end of input in the same tick as abortConnection reports the abort only", async () => {
  class HalfCloser extends Events {
    override readConnectionLost(): void {
      this.events.push("readConnectionLost");
    }
  }
  const { conn, transport, protocol } = start(new HalfCloser());
  await settle();
  conn.end(); // the read resolves with EOF...
  transport.abortConnection(); // ...and the protocol aborts before it is seen
  await transport.closed;
  await settle();
  assert.deepEqual(protocol.events, ["made", "lost:ConnectionAborted"]);
});

Deno.test("ConnTransport: a streaming producer registered while the buffer is full is paused at once", async () => {
  const conn = new FakeConn();
  conn.autoWrite = false;
  const { transport, protocol } = start(new Events(), {
    highWaterMark: 10,
    lowWaterMark: 4,
  }, conn);
  transport.write(new Uint8Array(20));
  assert.deepEqual(protocol.events, ["made", "full"]);
  const producer = new RecordingProducer();
  transport.registerProducer(producer, true);
  assert.deepEqual(producer.calls, ["pause"]);
  await settle();
  conn.completeWrite();
  await settle();
  assert.deepEqual(producer.calls, ["pause", "resume"]);
  assert.deepEqual(protocol.events, ["made", "full", "drained"]);
  transport.unregisterProducer();
  transport.abortConnection();
});

Deno.test("ConnTransport: bufferDrained that fills the buffer again keeps the producer paused", async () => {
  class Refiller extends Events {
    refills = 1;
    override bufferDrained(): void {
      super.bufferDrained();
      if (this.refills-- > 0) this.transport!.write(new Uint8Array(20));
    }
  }
  const conn = new FakeConn();
  conn.autoWrite = false;
  const { transport, protocol } = start(new Refiller(), {
    highWaterMark: 10,
    lowWaterMark: 4,
  }, conn);
  const producer = new RecordingProducer();
  transport.registerProducer(producer, true);
  transport.write(new Uint8Array(20));
  assert.deepEqual(producer.calls, ["pause"]);
  await settle();
  conn.completeWrite(); // drained, and refilled by bufferDrained
  await settle();
  assert.deepEqual(protocol.events, ["made", "full", "drained", "full"]);
  assert.deepEqual(producer.calls, ["pause"]); // not resumed in between
  conn.completeWrite();
  await settle();
  assert.deepEqual(producer.calls, ["pause", "resume"]);
  assert.deepEqual(protocol.events, [
    "made",
    "full",
    "drained",
    "full",
    "drained",
  ]);
  transport.unregisterProducer();
  transport.abortConnection();
});

Deno.test("ConnTransport: a producer that throws aborts the connection and is reported", () => {
  const conn = new FakeConn();
  conn.autoWrite = false;
  const { transport, protocol, errors } = start(new Events(), {
    highWaterMark: 10,
  }, conn);
  const producer = new RecordingProducer("pause");
  transport.registerProducer(producer, true);
  transport.write(new Uint8Array(20)); // full: pauseProducing throws
  assert.equal(errors.length, 1);
  assert.equal((errors[0] as Error).message, "pause failed");
  assert.equal(protocol.events[1], "lost:ConnectionAborted");
  const reason = protocol.reasons[0];
  assert.ok(reason instanceof ConnectionAborted);
  assert.equal(reason.cause, errors[0]);
  assert.deepEqual(producer.calls, ["pause", "stop"]);
  assert.equal(conn.closed, true);
});

// When pausing the producer at the high-water mark throws, the connection is
// aborted (connectionLost runs): bufferFull must not follow.
Deno.test({
  name:
    "ConnTransport: no bufferFull after connectionLost when the producer's pauseProducing throws",
  fn: () => {
    const conn = new FakeConn();
    conn.autoWrite = false;
    const { transport, protocol } = start(new Events(), {
      highWaterMark: 10,
    }, conn);
    transport.registerProducer(new RecordingProducer("pause"), true);
    transport.write(new Uint8Array(20));
    assert.deepEqual(protocol.events, ["made", "lost:ConnectionAborted"]);
  },
});

Deno.test("ConnTransport: an onError that throws is itself reported on the console; the connection still aborts", async () => {
  class Throws extends Events {
    override dataReceived(_data: Uint8Array): void {
      throw new Error("hook failed");
    }
  }
  const conn = new FakeConn();
  const protocol = new Throws();
  const transport = new ConnTransport(conn, protocol, {
    clock: new Clock(),
    onError: () => {
      throw new Error("reporter failed");
    },
  });
  const logged = await captureConsoleError(async () => {
    transport.start();
    conn.feed(b("x"));
    await transport.closed;
  });
  assert.equal(logged.length, 1);
  assert.equal(logged[0][0], "torsion: onError failed:");
  assert.equal((logged[0][1] as Error).message, "reporter failed");
  assert.deepEqual(protocol.events, ["made", "lost:ConnectionAborted"]);
});

Deno.test("ConnTransport: a write that completes after the abort changes nothing", async () => {
  const conn = new FakeConn();
  conn.autoWrite = false;
  const metrics = { bytesReceived: 0, bytesSent: 0, errors: 0 };
  const { transport, protocol } = start(new Events(), { metrics }, conn);
  transport.write("in flight");
  await settle();
  assert.equal(conn.pendingWrites.length, 1);
  transport.abortConnection();
  conn.pendingWrites[0].resolve(9);
  await settle();
  assert.equal(metrics.bytesSent, 0);
  assert.equal(transport.bufferedAmount, 0);
  assert.deepEqual(protocol.events, ["made", "lost:ConnectionAborted"]);
});

// --- STARTTLS -----------------------------------------------------------------

/**
 * Sends STARTTLS when connected and upgrades on the server's "go" (from a
 * hook, as documented: no read is in flight then).
 */
class StartTlsClient extends Events {
  upgrading: Promise<void> | null = null;
  override connectionMade(): void {
    super.connectionMade();
    this.transport!.write("STARTTLS\r\n");
  }
  override dataReceived(data: Uint8Array): void {
    super.dataReceived(data);
    if (this.upgrading === null) {
      this.transport!.write("still clear\r\n"); // queued before the call
      this.upgrading = this.transport!.startTLS!();
      this.transport!.write("secret\r\n"); // after the call: through TLS
    }
  }
}

/** A FakeConn standing for the TLS connection Deno.startTls returns. */
class FakeTlsConn extends FakeConn {
  handshake(): Promise<{ alpnProtocol: string | null }> {
    return Promise.resolve({ alpnProtocol: "h2" });
  }
}

/** Run `fn` with Deno.startTls replaced by `fake`. */
async function withStartTls(
  fake: (conn: Deno.Conn) => Promise<unknown>,
  fn: () => Promise<void>,
): Promise<void> {
  const original = Deno.startTls;
  (Deno as { startTls: unknown }).startTls = fake;
  try {
    await fn();
  } finally {
    (Deno as { startTls: unknown }).startTls = original;
  }
}

Deno.test("ConnTransport: startTLS sends what was queued before it in the clear and the rest through TLS", async () => {
  const tls = new FakeTlsConn();
  const upgraded: Deno.Conn[] = [];
  await withStartTls((conn) => {
    upgraded.push(conn);
    return Promise.resolve(tls);
  }, async () => {
    const { conn, transport, protocol } = start(new StartTlsClient(), {
      tlsHostname: "example.com",
    });
    conn.feed(b("go"));
    await settle();
    await protocol.upgrading;
    await settle();
    assert.deepEqual(upgraded, [conn]);
    assert.equal(conn.text(), "STARTTLS\r\nstill clear\r\n");
    assert.equal(tls.text(), "secret\r\n");
    assert.equal(transport.alpnProtocol, "h2");
    await assert.rejects(transport.startTLS(), TypeError); // once only
    // Reading goes on over TLS; a clean close is a ConnectionDone.
    tls.feed(b("hello over tls"));
    await settle();
    assert.deepEqual(protocol.data, ["go", "hello over tls"]);
    transport.loseConnection();
    await settle();
    assert.equal(tls.writeClosed, true);
    tls.end();
    await transport.closed;
    assert.ok(protocol.reasons[0] instanceof ConnectionDone);
    assert.equal(conn.closed, false); // the plain conn was handed to TLS
    assert.equal(tls.closed, true);
  });
});

Deno.test("ConnTransport: startTLS rejects when the connection is aborted before the upgrade starts", async () => {
  const { transport, protocol } = start(new Events(), {
    tlsHostname: "example.com",
  });
  const upgrading = transport.startTLS();
  transport.abortConnection();
  await assert.rejects(
    upgrading,
    (error: unknown) =>
      error instanceof ConnectionLost &&
      error.message === "Connection closed before STARTTLS",
  );
  assert.deepEqual(protocol.events, ["made", "lost:ConnectionAborted"]);
});

Deno.test("ConnTransport: a handshake failing after the abort rejects startTLS; connectionLost stays the abort", async () => {
  const handshake = Promise.withResolvers<never>();
  await withStartTls(() => handshake.promise, async () => {
    const { transport, protocol, errors } = start(new Events(), {
      tlsHostname: "example.com",
    });
    const upgrading = transport.startTLS();
    await settle(); // Deno.startTls is running
    transport.abortConnection();
    const failure = new Error("handshake interrupted");
    handshake.reject(failure);
    await assert.rejects(upgrading, (error) => error === failure);
    assert.deepEqual(protocol.events, ["made", "lost:ConnectionAborted"]);
    assert.deepEqual(errors, []);
  });
});

// When the connection dies while the bytes queued before startTLS() are
// still being written, startTLS() must settle (a caller awaiting it, and the
// read loop, would hang otherwise).
Deno.test({
  name:
    "ConnTransport: startTLS settles when the connection dies while earlier writes are in flight",
  fn: async () => {
    const conn = new FakeConn();
    conn.autoWrite = false;
    const { transport } = start(new Protocol(), {
      tlsHostname: "example.com",
    }, conn);
    transport.write("EHLO\r\n");
    await settle(); // the write is in flight
    let settled = false;
    transport.startTLS().then(() => settled = true, () => settled = true);
    transport.abortConnection();
    conn.completeWrite();
    await settle();
    assert.equal(settled, true, "startTLS() never settles");
  },
});

Deno.test("ConnTransport: write refuses what is neither bytes nor a string with a TypeError, even once closed", async () => {
  const { conn, transport } = start(new Protocol());
  for (const bad of [42, null, undefined, [1, 2], new ArrayBuffer(2)]) {
    assert.throws(
      () => transport.write(bad as unknown as Uint8Array),
      (error: unknown) =>
        error instanceof TypeError &&
        /^Data must be a Uint8Array or a string: /.test(error.message),
    );
  }
  transport.write("ok");
  await settle();
  assert.deepEqual(conn.written.map((c) => [...c]), [[0x6f, 0x6b]]);
  transport.abortConnection();
  assert.throws(() => transport.write(7 as unknown as string), TypeError);
});

Deno.test("ConnTransport: framed senders and strings share one write; after loseWriteConnection they send nothing", async () => {
  class Framed extends Int16StringReceiver {
    override stringReceived(data: Uint8Array): void {
      this.sendString(data); // the three-piece path of ConnTransport
      this.transport!.write("é"); // encoded straight into the write buffer
    }
  }
  const { conn, transport } = start(new Framed());
  await settle();
  conn.feed(new Uint8Array([0, 2, 0x68, 0x69, 0, 1, 0x21]));
  await settle();
  assert.deepEqual(
    conn.written.map((c) => [...c]),
    [[0, 2, 0x68, 0x69, 0xc3, 0xa9, 0, 1, 0x21, 0xc3, 0xa9]],
  );
  transport.loseWriteConnection();
  await settle();
  assert.equal(conn.writeClosed, true);
  conn.feed(new Uint8Array([0, 1, 0x3f]));
  await settle();
  assert.equal(
    conn.written.length,
    1,
    "nothing is written after the half-close",
  );
  transport.abortConnection();
});
