// StringTransport: the in-memory transport that records writes.

import assert from "node:assert/strict";
import { Protocol } from "../../protocols/protocol.ts";
import type { Producer, Transport } from "../../protocols/transport.ts";
import { StringTransport } from "../../testing/string_transport.ts";

const encoder = new TextEncoder();

function producer(): Producer & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    resumeProducing: () => calls.push("resume"),
    pauseProducing: () => calls.push("pause"),
    stopProducing: () => calls.push("stop"),
  };
}

Deno.test("StringTransport: is a Transport with the documented defaults", () => {
  const t: Transport = new StringTransport();
  const s = t as StringTransport;
  assert.equal(s.disconnecting, false);
  assert.equal(s.disconnected, false);
  assert.equal(s.writeConnectionLost, false);
  assert.equal(s.producerState, "producing");
  assert.equal(s.producer, null);
  assert.equal(s.streaming, null);
  assert.equal(s.bufferedAmount, 0);
  assert.equal(s.alpnProtocol, null);
  assert.equal(s.highWaterMark, 64 * 1024);
  assert.equal(s.lowWaterMark, 16 * 1024);
  assert.equal(s.tcpNoDelay, true);
  assert.equal(s.tcpKeepAlive, false);
  assert.equal(s.loseConnectionOptions, undefined);
  assert.deepEqual(s.value(), new Uint8Array());
  assert.equal(s.valueText(), "");
  assert.deepEqual(t.getPeer(), {
    transport: "tcp",
    hostname: "127.0.0.1",
    port: 54321,
  });
  assert.deepEqual(t.getHost(), {
    transport: "tcp",
    hostname: "127.0.0.1",
    port: 8007,
  });
});

Deno.test("StringTransport: value() concatenates every write in order", () => {
  const t = new StringTransport();
  t.write(new Uint8Array([1, 2]));
  t.write(new Uint8Array([]));
  t.write(new Uint8Array([3]));
  t.write(new Uint8Array([4, 5, 6]));
  assert.deepEqual(t.value(), new Uint8Array([1, 2, 3, 4, 5, 6]));
  // Reading does not consume.
  assert.deepEqual(t.value(), new Uint8Array([1, 2, 3, 4, 5, 6]));
  t.write(new Uint8Array([7]));
  assert.deepEqual(t.value(), new Uint8Array([1, 2, 3, 4, 5, 6, 7]));
});

Deno.test("StringTransport: strings are written as UTF-8", () => {
  const t = new StringTransport();
  t.write("héllo ");
  t.write("€");
  t.write("😀");
  assert.deepEqual(t.value(), encoder.encode("héllo €😀"));
  assert.equal(t.value().length, 6 + 1 + 3 + 4);
  assert.equal(t.valueText(), "héllo €😀");
});

Deno.test("StringTransport: valueText() decodes what was written as UTF-8", () => {
  const t = new StringTransport();
  const euro = encoder.encode("€");
  // A character split across two writes decodes as one.
  t.write(euro.subarray(0, 1));
  t.write(euro.subarray(1));
  t.write("!");
  assert.equal(t.valueText(), "€!");
});

Deno.test("StringTransport: clear() forgets what was written", () => {
  const t = new StringTransport();
  t.write("abc");
  t.write("def");
  t.value(); // coalesced
  t.clear();
  assert.deepEqual(t.value(), new Uint8Array());
  assert.equal(t.valueText(), "");
  t.write("x");
  assert.equal(t.valueText(), "x");
  t.clear();
  t.clear();
  assert.equal(t.valueText(), "");
});

Deno.test("StringTransport: writeSequence writes each chunk in order", () => {
  const t = new StringTransport();
  t.writeSequence(["a", new Uint8Array([0x62]), "", "c"]);
  t.writeSequence([]);
  function* gen(): Generator<string> {
    yield "d";
    yield "e";
  }
  t.writeSequence(gen());
  assert.equal(t.valueText(), "abcde");
});

Deno.test("StringTransport: value() returns a copy", () => {
  const t = new StringTransport();
  t.write("abc");
  const first = t.value();
  first[0] = 0x7a;
  first.fill(0);
  assert.equal(t.valueText(), "abc");
  // Also once several writes were coalesced.
  t.write("def");
  const second = t.value();
  second.fill(0);
  assert.equal(t.valueText(), "abcdef");
  const third = t.value();
  assert.notEqual(third, t.value());
  assert.notEqual(third.buffer, t.value().buffer);
});

Deno.test("StringTransport: mutating a written array does not change the record", () => {
  const t = new StringTransport();
  const data = new Uint8Array([1, 2, 3]);
  t.write(data);
  data.fill(9);
  assert.deepEqual(t.value(), new Uint8Array([1, 2, 3]));
  const a = new Uint8Array([4]);
  const b = new Uint8Array([5]);
  t.writeSequence([a, b]);
  a[0] = 0;
  b[0] = 0;
  assert.deepEqual(t.value(), new Uint8Array([1, 2, 3, 4, 5]));
  // A view into a larger buffer records only the view's bytes.
  t.clear();
  const big = new Uint8Array([10, 11, 12, 13]);
  t.write(big.subarray(1, 3));
  big.fill(0);
  assert.deepEqual(t.value(), new Uint8Array([11, 12]));
});

Deno.test("StringTransport: loseConnection sets disconnecting only and records options", () => {
  const t = new StringTransport();
  t.loseConnection();
  assert.equal(t.disconnecting, true);
  assert.equal(t.disconnected, false);
  assert.equal(t.loseConnectionOptions, undefined);
  // Writes after loseConnection are still recorded (the real transport
  // flushes them before closing).
  t.write("late");
  assert.equal(t.valueText(), "late");

  const u = new StringTransport();
  u.loseConnection({ timeout: 250 });
  assert.deepEqual(u.loseConnectionOptions, { timeout: 250 });
  u.loseConnection({});
  assert.deepEqual(u.loseConnectionOptions, {});
});

Deno.test("StringTransport: abortConnection sets both flags and later writes are ignored", () => {
  const t = new StringTransport();
  t.write("before");
  t.abortConnection();
  assert.equal(t.disconnecting, true);
  assert.equal(t.disconnected, true);
  t.write("after");
  t.writeSequence(["x", new Uint8Array([1])]);
  assert.equal(t.valueText(), "before");
});

Deno.test("StringTransport: loseWriteConnection is recorded", () => {
  const t = new StringTransport();
  t.loseWriteConnection();
  assert.equal(t.writeConnectionLost, true);
  assert.equal(t.disconnecting, false);
  assert.equal(t.disconnected, false);
});

Deno.test("StringTransport: producerState follows pause/resume/stop; stopped is final", () => {
  const t = new StringTransport();
  assert.equal(t.producerState, "producing");
  t.pauseProducing();
  assert.equal(t.producerState, "paused");
  t.pauseProducing();
  assert.equal(t.producerState, "paused");
  t.resumeProducing();
  assert.equal(t.producerState, "producing");
  t.resumeProducing();
  assert.equal(t.producerState, "producing");
  t.pauseProducing();
  t.stopProducing();
  assert.equal(t.producerState, "stopped");
  t.resumeProducing();
  assert.equal(t.producerState, "stopped");
  t.pauseProducing();
  assert.equal(t.producerState, "stopped");
  t.stopProducing();
  assert.equal(t.producerState, "stopped");
});

Deno.test("StringTransport: a protocol's calls are reflected in producerState", () => {
  class Shy extends Protocol {
    override dataReceived(data: Uint8Array): void {
      if (data[0] === 0x70) this.transport!.pauseProducing();
      if (data[0] === 0x72) this.transport!.resumeProducing();
      if (data[0] === 0x73) this.transport!.stopProducing();
    }
  }
  const t = new StringTransport();
  const p = new Shy();
  p.makeConnection(t);
  p.dataReceived(encoder.encode("p"));
  assert.equal(t.producerState, "paused");
  p.dataReceived(encoder.encode("r"));
  assert.equal(t.producerState, "producing");
  p.dataReceived(encoder.encode("s"));
  assert.equal(t.producerState, "stopped");
});

Deno.test("StringTransport: registerProducer records the producer and streaming flag", () => {
  const t = new StringTransport();
  const push = producer();
  t.registerProducer(push, true);
  assert.equal(t.producer, push);
  assert.equal(t.streaming, true);
  // The producer is only recorded: nothing is called on it.
  assert.deepEqual(push.calls, []);
  t.unregisterProducer();
  assert.equal(t.producer, null);
  assert.equal(t.streaming, null);

  const pull = producer();
  t.registerProducer(pull, false);
  assert.equal(t.producer, pull);
  assert.equal(t.streaming, false);
  assert.deepEqual(pull.calls, []);
});

Deno.test("StringTransport: registering a second producer throws", () => {
  const t = new StringTransport();
  const first = producer();
  t.registerProducer(first, true);
  assert.throws(() => t.registerProducer(producer(), false), {
    name: "Error",
    message: "A producer is already registered",
  });
  // The same producer again throws too, and the first stays registered.
  assert.throws(() => t.registerProducer(first, true), Error);
  assert.equal(t.producer, first);
  assert.equal(t.streaming, true);
});

Deno.test("StringTransport: unregister then register works; unregister twice is harmless", () => {
  const t = new StringTransport();
  t.registerProducer(producer(), true);
  t.unregisterProducer();
  t.unregisterProducer();
  const second = producer();
  t.registerProducer(second, false);
  assert.equal(t.producer, second);
  assert.equal(t.streaming, false);
});

Deno.test("StringTransport: peer and host addresses are settable", () => {
  const peer: Deno.Addr = {
    transport: "tcp",
    hostname: "10.0.0.1",
    port: 1234,
  };
  const host: Deno.Addr = { transport: "unix", path: "/tmp/sock" };
  const t = new StringTransport({ peer, host });
  assert.equal(t.getPeer(), peer);
  assert.equal(t.getHost(), host);
  const later: Deno.Addr = { transport: "udp", hostname: "::1", port: 53 };
  t.peer = later;
  t.host = later;
  assert.equal(t.getPeer(), later);
  assert.equal(t.getHost(), later);
  // Only one of the two given: the other keeps its default.
  const onlyPeer = new StringTransport({ peer });
  assert.equal(onlyPeer.getPeer(), peer);
  assert.deepEqual(onlyPeer.getHost(), {
    transport: "tcp",
    hostname: "127.0.0.1",
    port: 8007,
  });
});

Deno.test("StringTransport: default addresses are not shared between transports", () => {
  const a = new StringTransport();
  const b = new StringTransport();
  assert.notEqual(a.getPeer(), b.getPeer());
  (a.getPeer() as Deno.NetAddr).port = 1;
  assert.equal((b.getPeer() as Deno.NetAddr).port, 54321);
});

Deno.test("StringTransport: setTcpNoDelay and setTcpKeepAlive are recorded", () => {
  const t = new StringTransport();
  t.setTcpNoDelay(false);
  t.setTcpKeepAlive(true);
  assert.equal(t.tcpNoDelay, false);
  assert.equal(t.tcpKeepAlive, true);
  t.setTcpNoDelay(true);
  t.setTcpKeepAlive(false);
  assert.equal(t.tcpNoDelay, true);
  assert.equal(t.tcpKeepAlive, false);
});

Deno.test("StringTransport: water marks are settable and nothing is ever buffered", () => {
  const t = new StringTransport();
  t.highWaterMark = 10;
  t.lowWaterMark = 2;
  t.write("x".repeat(100));
  assert.equal(t.highWaterMark, 10);
  assert.equal(t.lowWaterMark, 2);
  assert.equal(t.bufferedAmount, 0);
});

Deno.test("StringTransport: drives a protocol's connection lifecycle", () => {
  class Greeter extends Protocol {
    override connectionMade(): void {
      this.transport!.write("hello\r\n");
    }
    override dataReceived(data: Uint8Array): void {
      this.transport!.write(data);
      this.transport!.loseConnection();
    }
  }
  const t = new StringTransport();
  const p = new Greeter();
  p.makeConnection(t);
  assert.equal(p.transport, t);
  assert.equal(p.connected, true);
  assert.equal(t.valueText(), "hello\r\n");
  t.clear();
  p.dataReceived(encoder.encode("bye"));
  assert.equal(t.valueText(), "bye");
  assert.equal(t.disconnecting, true);
  // StringTransport never calls connectionLost by itself.
  assert.equal(p.connected, true);
});

Deno.test("StringTransport: many small writes are recorded in order", () => {
  const t = new StringTransport();
  const expected: number[] = [];
  for (let i = 0; i < 5000; i++) {
    t.write(new Uint8Array([i & 0xff]));
    expected.push(i & 0xff);
    if (i % 1000 === 0) assert.equal(t.value().length, i + 1);
  }
  assert.deepEqual(t.value(), new Uint8Array(expected));
});

Deno.test("StringTransport: write refuses what is neither bytes nor a string, as ConnTransport does", () => {
  const transport = new StringTransport();
  assert.throws(
    () => transport.write(42 as unknown as string),
    /^TypeError: Data must be a Uint8Array or a string: number$/,
  );
  assert.throws(
    () => transport.write(null as unknown as string),
    /^TypeError: Data must be a Uint8Array or a string: null$/,
  );
  assert.equal(transport.value().length, 0);
});
