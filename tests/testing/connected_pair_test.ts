// connectedPair: two protocols joined in memory.

import assert from "node:assert/strict";
import fc from "fast-check";
import {
  ConnectionAborted,
  type ConnectionClosed,
  ConnectionDone,
  ConnectionLost,
} from "../../protocols/errors.ts";
import { Protocol } from "../../protocols/protocol.ts";
import type { Producer, Transport } from "../../protocols/transport.ts";
import { connectedPair, PairTransport } from "../../testing/connected_pair.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Records every hook call, in order, into a log shared by both sides. */
class Recorder extends Protocol {
  received = "";
  chunks: Uint8Array[] = [];
  reasons: ConnectionClosed[] = [];
  constructor(readonly name: string, readonly log: string[] = []) {
    super();
  }
  override connectionMade(): void {
    this.log.push(`${this.name} made`);
  }
  override dataReceived(data: Uint8Array): void {
    this.chunks.push(data);
    const text = decoder.decode(data);
    this.received += text;
    this.log.push(`${this.name} got ${text}`);
  }
  override connectionLost(reason: ConnectionClosed): void {
    this.reasons.push(reason);
    this.log.push(`${this.name} lost ${reason.name}`);
  }
  get t(): Transport {
    return this.transport!;
  }
}

/** A Recorder that defines readConnectionLost. */
class HalfCloser extends Recorder {
  eofs = 0;
  override readConnectionLost(): void {
    this.eofs++;
    this.log.push(`${this.name} eof`);
  }
}

function pair(
  server = new Recorder("server"),
  client = new Recorder("client", server.log),
): ReturnType<typeof connectedPair<Recorder, Recorder>> {
  return connectedPair(server, client);
}

/** A pull producer writing `count` chunks, one per resumeProducing. */
class PullProducer implements Producer {
  calls: string[] = [];
  sent = 0;
  constructor(
    readonly transport: Transport,
    readonly count: number,
    readonly chunk = "x",
  ) {}
  resumeProducing(): void {
    this.calls.push("resume");
    if (this.sent >= this.count) return;
    this.transport.write(this.chunk);
    this.sent++;
    if (this.sent === this.count) this.transport.unregisterProducer();
  }
  pauseProducing(): void {
    this.calls.push("pause");
  }
  stopProducing(): void {
    this.calls.push("stop");
  }
}

function recordingProducer(): Producer & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    resumeProducing: () => calls.push("resume"),
    pauseProducing: () => calls.push("pause"),
    stopProducing: () => calls.push("stop"),
  };
}

Deno.test("connectedPair: server's connectionMade runs before the client's", () => {
  const p = pair();
  assert.deepEqual(p.server.log, ["server made", "client made"]);
  assert.equal(p.server.connected, true);
  assert.equal(p.client.connected, true);
  assert.equal(p.server.transport, p.serverTransport);
  assert.equal(p.client.transport, p.clientTransport);
  assert.ok(p.serverTransport instanceof PairTransport);
  assert.equal(p.serverTransport.peer, p.clientTransport);
  assert.equal(p.clientTransport.peer, p.serverTransport);
  assert.equal(p.serverTransport.protocol, p.server);
  // Nothing is pending: flush has nothing to do.
  assert.equal(p.pump(), false);
});

Deno.test("connectedPair: nothing moves until pumped", () => {
  const p = pair();
  p.client.t.write("hello");
  p.server.t.write("welcome");
  assert.equal(p.server.received, "");
  assert.equal(p.client.received, "");
  assert.equal(p.clientTransport.bufferedAmount, 5);
  assert.equal(p.serverTransport.bufferedAmount, 7);
  assert.equal(p.pump(), true);
  assert.equal(p.server.received, "hello");
  assert.equal(p.client.received, "welcome");
  assert.equal(p.clientTransport.bufferedAmount, 0);
  assert.equal(p.serverTransport.bufferedAmount, 0);
  assert.equal(p.pump(), false);
});

Deno.test("connectedPair: data written in connectionMade is delivered", () => {
  class Greeter extends Recorder {
    override connectionMade(): void {
      super.connectionMade();
      this.t.write(`hi from ${this.name}`);
    }
  }
  const log: string[] = [];
  const p = connectedPair(
    new Greeter("server", log),
    new Greeter("client", log),
  );
  p.flush();
  assert.equal(p.server.received, "hi from client");
  assert.equal(p.client.received, "hi from server");
});

Deno.test("connectedPair: chunks arrive in order, as written, and are the receiver's copies", () => {
  const p = pair();
  const mine = new Uint8Array([1, 2, 3]);
  p.client.t.write(mine);
  p.client.t.write("");
  p.client.t.writeSequence(["é", new Uint8Array([4])]);
  mine.fill(0); // the writer reuses its array: the receiver must not see it
  p.flush();
  assert.deepEqual(p.server.chunks, [
    new Uint8Array([1, 2, 3]),
    encoder.encode("é"),
    new Uint8Array([4]),
  ]);
});

Deno.test("connectedPair: flush runs a conversation until it is quiet", () => {
  // The client counts down; the server echoes.
  class Echo extends Recorder {
    override dataReceived(data: Uint8Array): void {
      super.dataReceived(data);
      this.t.write(data);
    }
  }
  class Counter extends Recorder {
    override connectionMade(): void {
      super.connectionMade();
      this.t.write("5");
    }
    override dataReceived(data: Uint8Array): void {
      super.dataReceived(data);
      const n = Number(decoder.decode(data));
      if (n > 0) this.t.write(String(n - 1));
    }
  }
  const log: string[] = [];
  const p = connectedPair(new Echo("server", log), new Counter("client", log));
  p.flush();
  assert.equal(p.server.received, "543210");
  assert.equal(p.client.received, "543210");
  assert.equal(p.pump(), false);
  assert.equal(p.server.connected, true);
});

Deno.test("connectedPair: one pump carries a request and the server's reply", () => {
  class Echo extends Recorder {
    override dataReceived(data: Uint8Array): void {
      super.dataReceived(data);
      this.t.write(data);
    }
  }
  const log: string[] = [];
  const p = connectedPair(new Echo("server", log), new Recorder("client", log));
  p.client.t.write("ping");
  assert.equal(p.pump(), true);
  assert.equal(p.client.received, "ping");
});

Deno.test("connectedPair: a ping-pong that never stops makes flush throw after maxRounds", () => {
  class Ping extends Recorder {
    override connectionMade(): void {
      super.connectionMade();
      if (this.name === "client") this.t.write("ping");
    }
    override dataReceived(data: Uint8Array): void {
      this.t.write(data);
    }
  }
  const p = connectedPair(new Ping("server"), new Ping("client"));
  assert.throws(() => p.flush(50), {
    name: "Error",
    message: "Pair still busy after the maximum number of pumps: 50",
  });
  // Still busy, still connected; the default bound throws too.
  assert.equal(p.pump(), true);
  assert.throws(() => p.flush(), /10000/);
  assert.equal(p.client.connected, true);
});

Deno.test("connectedPair: loseConnection by the client delivers its data, then ConnectionDone to both", () => {
  const p = pair();
  p.client.t.write("last words");
  p.client.t.loseConnection();
  assert.equal(p.client.t.disconnecting, true);
  assert.equal(p.server.t.disconnecting, false);
  assert.equal(p.client.connected, true);
  p.flush();
  assert.deepEqual(p.server.log, [
    "server made",
    "client made",
    "server got last words",
    "client lost ConnectionDone",
    "server lost ConnectionDone",
  ]);
  assert.ok(p.client.reasons[0] instanceof ConnectionDone);
  assert.ok(p.server.reasons[0] instanceof ConnectionDone);
  assert.equal(p.client.connected, false);
  assert.equal(p.server.connected, false);
  assert.equal(p.clientTransport.disconnected, true);
  assert.equal(p.serverTransport.disconnected, true);
  assert.equal(p.server.t.disconnecting, true);
  assert.equal(p.pump(), false);
});

Deno.test("connectedPair: loseConnection by the server delivers its data, then ConnectionDone to both", () => {
  const p = pair();
  p.server.t.write("bye");
  p.server.t.write(" now");
  p.server.t.loseConnection();
  p.flush();
  assert.deepEqual(p.server.log, [
    "server made",
    "client made",
    "client got bye",
    "client got  now",
    "server lost ConnectionDone",
    "client lost ConnectionDone",
  ]);
  assert.equal(p.client.reasons.length, 1);
  assert.equal(p.server.reasons.length, 1);
});

Deno.test("connectedPair: the closer's queued data is delivered, data to the closer dropped, whichever side closes", () => {
  for (const closer of ["client", "server"] as const) {
    const p = pair();
    p.client.t.write("from client");
    p.server.t.write("from server");
    const closing = closer === "client" ? p.client : p.server;
    const other = closer === "client" ? p.server : p.client;
    closing.t.loseConnection();
    p.flush();
    assert.equal(other.received, `from ${closer}`, closer);
    // As over a socket: a closing side drains and drops its input.
    assert.equal(closing.received, "", closer);
    assert.ok(p.client.reasons[0] instanceof ConnectionDone, closer);
    assert.ok(p.server.reasons[0] instanceof ConnectionDone, closer);
  }
});

Deno.test("connectedPair: a side that called loseConnection receives nothing more", () => {
  // As over a socket: once closing, input is drained and dropped.
  class CloseOnFirst extends Recorder {
    override dataReceived(data: Uint8Array): void {
      super.dataReceived(data);
      this.t.loseConnection();
    }
  }
  const log: string[] = [];
  const p = connectedPair(
    new CloseOnFirst("server", log),
    new Recorder("client", log),
  );
  p.client.t.write("one");
  p.client.t.write("two");
  p.flush();
  assert.equal(p.server.received, "one");
  assert.deepEqual(log.slice(2), [
    "server got one",
    "server lost ConnectionDone",
    "client lost ConnectionDone",
  ]);
});

Deno.test("connectedPair: a reply to data received while closing still goes out", () => {
  class Replier extends Recorder {
    override dataReceived(data: Uint8Array): void {
      super.dataReceived(data);
      this.t.write("reply");
      this.t.loseConnection();
    }
  }
  const log: string[] = [];
  const p = connectedPair(
    new Replier("server", log),
    new Recorder("client", log),
  );
  p.client.t.write("request");
  p.flush();
  assert.equal(p.client.received, "reply");
  assert.ok(p.client.reasons[0] instanceof ConnectionDone);
});

Deno.test("connectedPair: loseConnection twice, and after closing, is harmless", () => {
  const p = pair();
  p.client.t.loseConnection();
  p.client.t.loseConnection({ timeout: 10 });
  p.flush();
  p.client.t.loseConnection();
  p.server.t.loseConnection();
  p.client.t.abortConnection();
  p.flush();
  assert.equal(p.client.reasons.length, 1);
  assert.equal(p.server.reasons.length, 1);
});

Deno.test("connectedPair: both sides closing at once get one ConnectionDone each", () => {
  const p = pair();
  p.client.t.write("c");
  p.server.t.write("s");
  p.client.t.loseConnection();
  p.server.t.loseConnection();
  p.flush();
  assert.equal(p.client.reasons.length, 1);
  assert.equal(p.server.reasons.length, 1);
  assert.ok(p.client.reasons[0] instanceof ConnectionDone);
  assert.ok(p.server.reasons[0] instanceof ConnectionDone);
});

Deno.test("connectedPair: writes after close are ignored", () => {
  const p = pair();
  p.client.t.loseConnection();
  p.flush();
  p.client.t.write("ghost");
  p.server.t.write("ghost");
  assert.equal(p.clientTransport.bufferedAmount, 0);
  assert.equal(p.serverTransport.bufferedAmount, 0);
  assert.equal(p.pump(), false);
  assert.equal(p.server.received, "");
  assert.equal(p.client.received, "");
});

Deno.test("connectedPair: abortConnection: ConnectionAborted here, ConnectionLost there, queued data dropped", () => {
  for (const aborter of ["client", "server"] as const) {
    const p = pair();
    const a = aborter === "client" ? p.client : p.server;
    const b = aborter === "client" ? p.server : p.client;
    a.t.write("dropped");
    b.t.write("dropped too");
    a.t.abortConnection();
    // The aborting side hears of it at once, as over a socket.
    assert.equal(a.reasons.length, 1, aborter);
    assert.ok(a.reasons[0] instanceof ConnectionAborted, aborter);
    assert.equal(a.connected, false);
    assert.equal(a.t.disconnecting, true);
    assert.equal(a.t.bufferedAmount, 0);
    assert.equal(b.reasons.length, 0, aborter);
    // The other side at the next pump.
    assert.equal(p.pump(), true);
    assert.equal(b.reasons.length, 1, aborter);
    assert.ok(b.reasons[0] instanceof ConnectionLost, aborter);
    assert.ok(!(b.reasons[0] instanceof ConnectionAborted), aborter);
    assert.equal(b.connected, false);
    assert.equal(b.t.bufferedAmount, 0);
    p.flush();
    assert.equal(a.received, "", aborter);
    assert.equal(b.received, "", aborter);
    assert.equal(a.reasons.length, 1);
    assert.equal(b.reasons.length, 1);
    // Writes after the abort go nowhere.
    a.t.write("x");
    assert.equal(a.t.bufferedAmount, 0);
  }
});

Deno.test("connectedPair: abort during dataReceived stops delivery to the aborting side", () => {
  class AbortOnFirst extends Recorder {
    override dataReceived(data: Uint8Array): void {
      super.dataReceived(data);
      this.t.abortConnection();
    }
  }
  const log: string[] = [];
  const p = connectedPair(
    new AbortOnFirst("server", log),
    new Recorder("client", log),
  );
  p.client.t.write("one");
  p.client.t.write("two");
  p.server.t.write("never");
  p.flush();
  assert.deepEqual(log.slice(2), [
    "server got one",
    "server lost ConnectionAborted",
    "client lost ConnectionLost",
  ]);
  assert.equal(p.client.received, "");
});

Deno.test("connectedPair: abort after loseConnection still aborts", () => {
  const p = pair();
  p.client.t.write("pending");
  p.client.t.loseConnection();
  p.client.t.abortConnection();
  p.flush();
  assert.ok(p.client.reasons[0] instanceof ConnectionAborted);
  assert.ok(p.server.reasons[0] instanceof ConnectionLost);
  assert.equal(p.server.received, "");
});

Deno.test("connectedPair: abort in the server's connectionMade: the client connects, then loses", () => {
  class Refuser extends Recorder {
    override connectionMade(): void {
      super.connectionMade();
      this.t.abortConnection();
    }
  }
  const log: string[] = [];
  const p = connectedPair(
    new Refuser("server", log),
    new Recorder("client", log),
  );
  p.flush();
  assert.deepEqual(log, [
    "server made",
    "server lost ConnectionAborted",
    "client made",
    "client lost ConnectionLost",
  ]);
  assert.equal(p.client.connected, false);
});

Deno.test("connectedPair: loseConnection in the server's connectionMade closes both after the greeting", () => {
  class Banner extends Recorder {
    override connectionMade(): void {
      super.connectionMade();
      this.t.write("go away");
      this.t.loseConnection();
    }
  }
  const log: string[] = [];
  const p = connectedPair(
    new Banner("server", log),
    new Recorder("client", log),
  );
  p.flush();
  assert.deepEqual(log, [
    "server made",
    "client made",
    "client got go away",
    "server lost ConnectionDone",
    "client lost ConnectionDone",
  ]);
});

Deno.test("connectedPair: loseWriteConnection calls the peer's readConnectionLost", () => {
  const log: string[] = [];
  const server = new HalfCloser("server", log);
  const p = connectedPair(server, new Recorder("client", log));
  p.client.t.write("request");
  p.client.t.loseWriteConnection();
  assert.equal(p.client.t.disconnecting, false);
  p.flush();
  assert.deepEqual(log.slice(2), ["server got request", "server eof"]);
  assert.equal(server.eofs, 1);
  assert.equal(p.serverTransport.readEof, true);
  assert.equal(p.clientTransport.readEof, false);
  // Still open: the half-closed client keeps reading.
  assert.equal(p.server.connected, true);
  assert.equal(p.client.connected, true);
  p.server.t.write("response");
  p.flush();
  assert.equal(p.client.received, "response");
  // Writes from the half-closed side go nowhere.
  p.client.t.write("too late");
  p.flush();
  assert.equal(p.server.received, "request");
  // The server closes: both get ConnectionDone.
  p.server.t.loseConnection();
  p.flush();
  assert.ok(p.server.reasons[0] instanceof ConnectionDone);
  assert.ok(p.client.reasons[0] instanceof ConnectionDone);
  assert.equal(server.eofs, 1);
});

Deno.test("connectedPair: the connection closes once the other side half-closes too, or closes", () => {
  const expected = {
    // The client already sent its end-of-stream: the server's closes both.
    loseWriteConnection: [
      "client lost ConnectionDone",
      "server lost ConnectionDone",
    ],
    loseConnection: [
      "server lost ConnectionDone",
      "client lost ConnectionDone",
    ],
  };
  for (const second of ["loseWriteConnection", "loseConnection"] as const) {
    const log: string[] = [];
    const p = connectedPair(
      new HalfCloser("server", log),
      new HalfCloser("client", log),
    );
    p.client.t.loseWriteConnection();
    p.flush();
    assert.equal(p.server.connected, true, second);
    assert.equal(p.client.connected, true, second);
    p.server.t.write("answer");
    p.server.t[second]();
    p.flush();
    assert.deepEqual(log.slice(2), [
      "server eof",
      "client got answer",
      ...expected[second],
    ], second);
  }
});

Deno.test("connectedPair: both sides half-closing at once closes the connection", () => {
  const log: string[] = [];
  const p = connectedPair(
    new HalfCloser("server", log),
    new HalfCloser("client", log),
  );
  p.client.t.loseWriteConnection();
  p.server.t.loseWriteConnection();
  p.flush();
  assert.equal(p.client.reasons.length, 1);
  assert.equal(p.server.reasons.length, 1);
  assert.ok(p.client.reasons[0] instanceof ConnectionDone);
  assert.ok(p.server.reasons[0] instanceof ConnectionDone);
});

Deno.test("connectedPair: without readConnectionLost the peer closes on end-of-stream", () => {
  const p = pair();
  p.client.t.write("all of it");
  p.client.t.loseWriteConnection();
  p.flush();
  assert.deepEqual(p.server.log.slice(2), [
    "server got all of it",
    "server lost ConnectionDone",
    "client lost ConnectionDone",
  ]);
});

Deno.test("connectedPair: end-of-stream waits for queued data and a registered producer", () => {
  const log: string[] = [];
  const server = new HalfCloser("server", log);
  const p = connectedPair(server, new Recorder("client", log));
  const push = recordingProducer();
  p.client.t.registerProducer(push, true);
  p.client.t.write("data");
  p.client.t.loseWriteConnection();
  p.flush();
  assert.equal(server.received, "data");
  assert.equal(server.eofs, 0);
  p.client.t.write("more");
  p.client.t.unregisterProducer();
  p.flush();
  assert.equal(server.received, "datamore");
  assert.equal(server.eofs, 1);
});

Deno.test("connectedPair: a paused side receives nothing until resumed", () => {
  const p = pair();
  p.server.t.pauseProducing();
  assert.equal(p.serverTransport.paused, true);
  p.client.t.write("held");
  p.server.t.write("goes");
  p.flush();
  assert.equal(p.server.received, "");
  assert.equal(p.client.received, "goes");
  assert.equal(p.clientTransport.bufferedAmount, 4);
  p.server.t.resumeProducing();
  assert.equal(p.serverTransport.paused, false);
  p.flush();
  assert.equal(p.server.received, "held");
});

Deno.test("connectedPair: pausing inside dataReceived holds the rest of the batch", () => {
  class PauseOnFirst extends Recorder {
    override dataReceived(data: Uint8Array): void {
      super.dataReceived(data);
      if (this.chunks.length === 1) this.t.pauseProducing();
    }
  }
  const log: string[] = [];
  const p = connectedPair(
    new PauseOnFirst("server", log),
    new Recorder("client", log),
  );
  p.client.t.write("a");
  p.client.t.write("b");
  p.client.t.write("c");
  p.flush();
  assert.equal(p.server.received, "a");
  assert.equal(p.clientTransport.bufferedAmount, 2);
  p.client.t.write("d");
  p.server.t.resumeProducing();
  p.flush();
  assert.equal(p.server.received, "abcd");
});

Deno.test("connectedPair: end-of-stream to a paused side waits until it resumes", () => {
  const log: string[] = [];
  const server = new HalfCloser("server", log);
  const p = connectedPair(server, new Recorder("client", log));
  p.server.t.pauseProducing();
  p.client.t.loseWriteConnection();
  p.flush();
  assert.equal(server.eofs, 0);
  p.server.t.resumeProducing();
  p.flush();
  assert.equal(server.eofs, 1);
});

Deno.test("connectedPair: a close waits while the paused peer has not taken the data", () => {
  const p = pair();
  p.client.t.pauseProducing();
  p.server.t.write("important");
  p.server.t.loseConnection();
  p.flush();
  assert.equal(p.server.connected, true);
  assert.equal(p.client.received, "");
  p.client.t.resumeProducing();
  p.flush();
  assert.equal(p.client.received, "important");
  assert.ok(p.server.reasons[0] instanceof ConnectionDone);
  assert.ok(p.client.reasons[0] instanceof ConnectionDone);
});

Deno.test("connectedPair: stopProducing stops reading for good and closes", () => {
  const p = pair();
  p.server.t.write("unread");
  p.client.t.stopProducing();
  assert.equal(p.client.t.disconnecting, true);
  p.client.t.resumeProducing(); // cannot undo a stop
  assert.equal(p.clientTransport.paused, true);
  p.flush();
  assert.equal(p.client.received, "");
  assert.ok(p.client.reasons[0] instanceof ConnectionDone);
  assert.ok(p.server.reasons[0] instanceof ConnectionDone);
});

Deno.test("connectedPair: getPeer and getHost are the two addresses", () => {
  const p = pair();
  const server = p.server.t.getHost() as Deno.NetAddr;
  const client = p.client.t.getHost() as Deno.NetAddr;
  assert.deepEqual(server, {
    transport: "tcp",
    hostname: "127.0.0.1",
    port: 8007,
  });
  assert.deepEqual(client, {
    transport: "tcp",
    hostname: "127.0.0.1",
    port: 54321,
  });
  assert.deepEqual(p.server.t.getPeer(), client);
  assert.deepEqual(p.client.t.getPeer(), server);
});

Deno.test("connectedPair: the rest of the Transport surface", () => {
  const p = pair();
  const t = p.client.t;
  assert.equal(t.alpnProtocol, null);
  assert.equal(t.highWaterMark, 64 * 1024);
  assert.equal(t.lowWaterMark, 16 * 1024);
  t.setTcpNoDelay(false);
  t.setTcpKeepAlive(true);
  assert.equal(t.startTLS, undefined);
});

Deno.test("connectedPair: a pull producer is resumed at registration and at each pump with an empty buffer", () => {
  const p = pair();
  const producer = new PullProducer(p.client.t, 3, "chunk;");
  p.client.t.registerProducer(producer, false);
  assert.deepEqual(producer.calls, ["resume"]);
  assert.equal(p.clientTransport.bufferedAmount, 6);
  // Not resumed while its chunk waits.
  p.server.t.pauseProducing();
  p.pump();
  p.pump();
  assert.deepEqual(producer.calls, ["resume"]);
  p.server.t.resumeProducing();
  assert.equal(p.pump(), true);
  assert.equal(p.server.received, "chunk;");
  assert.deepEqual(producer.calls, ["resume", "resume"]);
  p.flush();
  assert.equal(p.server.received, "chunk;chunk;chunk;");
  assert.deepEqual(producer.calls, ["resume", "resume", "resume"]);
  assert.equal(p.pump(), false);
});

Deno.test("connectedPair: a pull producer that writes nothing leaves the pair quiet", () => {
  const p = pair();
  const idle = recordingProducer();
  p.client.t.registerProducer(idle, false);
  assert.equal(p.pump(), false);
  p.flush();
  assert.deepEqual(idle.calls, ["resume", "resume", "resume"]);
});

Deno.test("connectedPair: loseConnection waits for a pull producer to finish and unregister", () => {
  // A FileSender-like use: register, then close at once.
  const p = pair();
  const producer = new PullProducer(p.server.t, 4, "part;");
  p.server.t.registerProducer(producer, false);
  p.server.t.loseConnection();
  p.flush();
  assert.equal(p.client.received, "part;part;part;part;");
  assert.ok(p.client.reasons[0] instanceof ConnectionDone);
  assert.ok(p.server.reasons[0] instanceof ConnectionDone);
  assert.ok(!producer.calls.includes("stop"));
});

Deno.test("connectedPair: loseConnection waits for a push producer to unregister", () => {
  const p = pair();
  const push = recordingProducer();
  p.server.t.registerProducer(push, true);
  p.server.t.write("streamed");
  p.server.t.loseConnection();
  p.flush();
  assert.equal(p.client.received, "streamed");
  assert.equal(p.server.connected, true);
  assert.equal(p.client.connected, true);
  p.server.t.unregisterProducer();
  p.flush();
  assert.equal(p.server.connected, false);
  assert.equal(p.client.connected, false);
  assert.deepEqual(push.calls, []);
});

Deno.test("connectedPair: a push producer is paused above the high-water mark and resumed when pumped", () => {
  const log: string[] = [];
  class Watcher extends Recorder {
    override bufferFull(): void {
      log.push("full");
    }
    override bufferDrained(): void {
      log.push("drained");
    }
  }
  const p = connectedPair(
    new Watcher("server", log),
    new Recorder("client", log),
  );
  const t = p.server.t;
  t.highWaterMark = 10;
  t.lowWaterMark = 4;
  const push = recordingProducer();
  t.registerProducer(push, true);
  t.write("0123456789"); // at the mark, not above
  assert.deepEqual(push.calls, []);
  t.write("a"); // above
  assert.deepEqual(push.calls, ["pause"]);
  t.write("b"); // still above: no second pause
  assert.deepEqual(push.calls, ["pause"]);
  assert.deepEqual(log.slice(2), ["full"]);
  p.pump();
  assert.equal(p.client.received, "0123456789ab");
  assert.deepEqual(push.calls, ["pause", "resume"]);
  assert.deepEqual(log.slice(2).filter((e) => !e.startsWith("client")), [
    "full",
    "drained",
  ]);
  // Delivered without ever filling: no resume, no hooks.
  t.write("small");
  p.pump();
  assert.deepEqual(push.calls, ["pause", "resume"]);
});

Deno.test("connectedPair: a push producer stays paused while the reader is paused", () => {
  const p = pair();
  const t = p.server.t;
  t.highWaterMark = 4;
  t.lowWaterMark = 0;
  const push = recordingProducer();
  t.registerProducer(push, true);
  p.client.t.pauseProducing();
  t.write("12345");
  p.flush();
  assert.deepEqual(push.calls, ["pause"]);
  p.client.t.resumeProducing();
  p.flush();
  assert.deepEqual(push.calls, ["pause", "resume"]);
  assert.equal(p.client.received, "12345");
});

Deno.test("connectedPair: a push producer registered over the high-water mark is paused at once", () => {
  const p = pair();
  p.server.t.highWaterMark = 2;
  p.server.t.write("abc");
  const push = recordingProducer();
  p.server.t.registerProducer(push, true);
  assert.deepEqual(push.calls, ["pause"]);
  p.pump();
  assert.deepEqual(push.calls, ["pause", "resume"]);
});

Deno.test("connectedPair: registering a second producer throws; unregister then register works", () => {
  const p = pair();
  p.client.t.registerProducer(recordingProducer(), true);
  assert.throws(
    () => p.client.t.registerProducer(recordingProducer(), true),
    { name: "Error", message: "A producer is already registered" },
  );
  p.client.t.unregisterProducer();
  const second = recordingProducer();
  p.client.t.registerProducer(second, true);
  p.client.t.abortConnection();
  assert.deepEqual(second.calls, ["stop"]);
});

Deno.test("connectedPair: connectionLost stops a registered producer, before the hook runs", () => {
  for (const how of ["close", "abort", "peer abort"] as const) {
    const log: string[] = [];
    const p = connectedPair(
      new Recorder("server", log),
      new Recorder("client", log),
    );
    const producer: Producer = {
      resumeProducing: () => {},
      stopProducing: () => log.push("producer stopped"),
    };
    p.server.t.registerProducer(producer, true);
    if (how === "close") p.client.t.loseConnection();
    else if (how === "abort") p.server.t.abortConnection();
    else p.client.t.abortConnection();
    p.flush();
    const i = log.indexOf("producer stopped");
    assert.ok(i >= 0, how);
    assert.equal(log.filter((e) => e === "producer stopped").length, 1, how);
    assert.match(log[i + 1], /^server lost/, how);
  }
});

Deno.test("connectedPair: registering a producer after the close stops it at once", () => {
  const p = pair();
  p.client.t.loseConnection();
  p.flush();
  const late = recordingProducer();
  p.client.t.registerProducer(late, false);
  assert.deepEqual(late.calls, ["stop"]);
});

Deno.test("connectedPair: `connected` is true while connected, then false", () => {
  const seen: boolean[] = [];
  class Watch extends Recorder {
    override connectionMade(): void {
      seen.push(this.connected);
      super.connectionMade();
    }
    override connectionLost(reason: ConnectionClosed): void {
      seen.push(this.connected);
      super.connectionLost(reason);
    }
  }
  const p = connectedPair(new Watch("server"), new Watch("client"));
  assert.equal(p.server.connected, true);
  assert.equal(p.client.connected, true);
  p.server.t.loseConnection();
  p.flush();
  assert.equal(p.server.connected, false);
  assert.equal(p.client.connected, false);
  assert.deepEqual(seen, [true, true, false, false]);
});

Deno.test("connectedPair: connectionLost is delivered exactly once per side", () => {
  const p = pair();
  p.client.t.loseWriteConnection();
  p.server.t.loseWriteConnection();
  p.client.t.loseConnection();
  p.server.t.loseConnection();
  p.flush();
  p.client.t.abortConnection();
  p.server.t.abortConnection();
  p.flush();
  assert.equal(p.client.reasons.length, 1);
  assert.equal(p.server.reasons.length, 1);
});

Deno.test("connectedPair: an exception from a hook propagates out of pump", () => {
  class Fails extends Recorder {
    override dataReceived(): void {
      throw new Error("bad input");
    }
  }
  const p = connectedPair(new Fails("server"), new Recorder("client"));
  p.client.t.write("x");
  assert.throws(() => p.flush(), { message: "bad input" });
});

Deno.test("connectedPair: protocols of different types keep their types", () => {
  class A extends Protocol {
    a = 1;
  }
  class B extends Protocol {
    b = "two";
  }
  const p = connectedPair(new A(), new B());
  const a: number = p.server.a;
  const b: string = p.client.b;
  assert.equal(a, 1);
  assert.equal(b, "two");
});

Deno.test("connectedPair: property: bytes arrive intact and in order whatever the pauses and pumps", () => {
  const side = fc.constantFrom("client" as const, "server" as const);
  const op = fc.oneof(
    fc.record({
      kind: fc.constant("write" as const),
      side,
      data: fc.uint8Array({ maxLength: 8 }),
    }),
    fc.record({ kind: fc.constant("pause" as const), side }),
    fc.record({ kind: fc.constant("resume" as const), side }),
    fc.record({ kind: fc.constant("pump" as const) }),
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
      const p = pair();
      const sent = { client: [] as number[], server: [] as number[] };
      const got = (r: Recorder): number[] => r.chunks.flatMap((c) => [...c]);
      for (const o of ops) {
        if (o.kind === "pump") {
          p.pump();
          continue;
        }
        const proto = o.side === "client" ? p.client : p.server;
        if (o.kind === "write") {
          proto.t.write(o.data);
          sent[o.side].push(...o.data);
        } else if (o.kind === "pause") proto.t.pauseProducing();
        else proto.t.resumeProducing();
        // Whatever a side received is a prefix of what the other sent.
        assert.deepEqual(
          got(p.server),
          sent.client.slice(0, got(p.server).length),
        );
        assert.deepEqual(
          got(p.client),
          sent.server.slice(0, got(p.client).length),
        );
        // A paused side is never handed anything.
        if (o.kind === "pause") {
          const before = proto.chunks.length;
          p.pump();
          assert.equal(proto.chunks.length, before);
        }
      }
      p.client.t.resumeProducing();
      p.server.t.resumeProducing();
      p.flush();
      assert.deepEqual(got(p.server), sent.client);
      assert.deepEqual(got(p.client), sent.server);
      assert.equal(p.clientTransport.bufferedAmount, 0);
      assert.equal(p.serverTransport.bufferedAmount, 0);
      assert.ok(p.client.chunks.every((c) => c.length > 0));
    }),
  );
});

Deno.test("connectedPair: write refuses what is neither bytes nor a string", () => {
  const p = connectedPair(new Protocol(), new Protocol());
  assert.throws(
    () => p.server.transport!.write(42 as unknown as string),
    /^TypeError: Data must be a Uint8Array or a string: number$/,
  );
});
