// ThrottlingFactory on the fake clock: exact byte budgets per slice, in
// memory and over real loopback sockets. Twisted's test_policies.py
// ThrottlingTests vectors are ported where the algorithms agree (see the
// notes on each).

import assert from "node:assert/strict";
import {
  ConnectionAborted,
  ConnectionDone,
  Factory,
  type Producer,
  Protocol,
  type ReactorTime,
} from "../../../mod.ts";
import {
  type ProtocolWrapper,
  ThrottlingFactory,
} from "../../../protocols/policies/mod.ts";
import { Clock, StringTransport } from "../../../testing/mod.ts";
import {
  connectTo,
  ListFactory,
  pattern,
  readN,
  Recorder,
  serve,
} from "../../_net.ts";
import { ADDR, b, ClosingTransport, Echo, Simple } from "./_policies.ts";

function connect(
  factory: ThrottlingFactory,
  transport = new StringTransport(),
): { proto: ProtocolWrapper; transport: StringTransport } {
  const proto = factory.buildProtocol(ADDR)!;
  if (transport instanceof ClosingTransport) transport.protocol = proto;
  proto.makeConnection(transport);
  return { proto, transport };
}

Deno.test("ThrottlingFactory: writeSequence passes everything without a limit (test_writeSequence)", () => {
  const factory = new ThrottlingFactory(Factory.forProtocol(Echo), {
    clock: new Clock(),
  });
  const { proto, transport } = connect(factory);
  proto.writeSequence([b("bytes"), "bytes", b("bytes"), b("bytes")]);
  assert.equal(transport.valueText(), "bytesbytesbytesbytes");
  assert.equal(factory.readLimit, null);
  assert.equal(factory.writeLimit, null);
});

Deno.test("ThrottlingFactory: writes get exactly the budget: 100 ms worth at once, then 50 ms worth each 50 ms", () => {
  const clock = new Clock();
  const factory = new ThrottlingFactory(Factory.forProtocol(Protocol), {
    writeLimit: 1000,
    clock,
  });
  const { proto, transport } = connect(factory);
  const data = pattern(1000);
  proto.write(data);
  assert.equal(transport.value().length, 100);
  assert.equal(proto.bufferedAmount, 900);
  for (let t = 50; t <= 900; t += 50) {
    clock.advance(49);
    assert.equal(transport.value().length, 100 + (t - 50));
    clock.advance(1);
    assert.equal(transport.value().length, 100 + t, `at ${t} ms`);
  }
  assert.deepEqual(transport.value(), data);
  assert.equal(proto.bufferedAmount, 0);
  assert.equal(clock.getDelayedCalls().length, 0); // nothing waits: no timer
  clock.advance(1000); // the bucket refills to 100 bytes and no more
  proto.write(pattern(300, 2));
  assert.equal(transport.value().length, 1100);
});

Deno.test("ThrottlingFactory: the write budget is shared by all connections, fairly", () => {
  const clock = new Clock();
  const factory = new ThrottlingFactory(Factory.forProtocol(Protocol), {
    writeLimit: 1000,
    clock,
  });
  const a = connect(factory);
  const c = connect(factory);
  a.proto.write(pattern(1000, 1));
  c.proto.write(pattern(1000, 2));
  assert.equal(a.transport.value().length, 100);
  assert.equal(c.transport.value().length, 0);
  clock.advance(50);
  assert.equal(a.transport.value().length, 125);
  assert.equal(c.transport.value().length, 25);
  clock.advance(1000);
  assert.equal(a.transport.value().length + c.transport.value().length, 1150);
  assert.equal(a.transport.value().length, 625);
  clock.advance(750);
  assert.equal(a.transport.value().length, 1000);
  assert.equal(c.transport.value().length, 900);
  clock.advance(50); // one connection done: the other gets the whole budget
  assert.equal(c.transport.value().length, 950);
  clock.advance(50);
  assert.equal(c.transport.value().length, 1000);
  assert.equal(clock.getDelayedCalls().length, 0);
});

Deno.test("ThrottlingFactory: held bytes keep their order; strings are sent as UTF-8", () => {
  const clock = new Clock();
  const factory = new ThrottlingFactory(Factory.forProtocol(Protocol), {
    writeLimit: 10,
    clock,
  });
  const { proto, transport } = connect(factory);
  proto.write("héllo");
  proto.writeSequence([b(" wor"), "ld"]);
  proto.write(new Uint8Array(0));
  clock.advance(20_000);
  assert.equal(transport.valueText(), "héllo world");
});

Deno.test("ThrottlingFactory: loseConnection and loseWriteConnection wait for the held bytes", () => {
  const clock = new Clock();
  const factory = new ThrottlingFactory(Factory.forProtocol(Simple), {
    writeLimit: 100,
    clock,
  });
  const { proto, transport } = connect(factory);
  proto.write(pattern(200));
  proto.loseWriteConnection();
  assert.equal(transport.writeConnectionLost, false);
  proto.loseConnection();
  assert.equal(proto.disconnecting, true);
  assert.equal(transport.disconnecting, false);
  clock.advance(1899); // 10 bytes at once, then 5 each 50 ms
  assert.equal(transport.disconnecting, false);
  assert.equal(transport.writeConnectionLost, false);
  clock.advance(1);
  assert.equal(transport.value().length, 200);
  assert.equal(transport.writeConnectionLost, true);
  assert.equal(transport.disconnecting, true);
  assert.equal(transport.loseConnectionOptions, undefined);
});

Deno.test("ThrottlingFactory: loseConnection({ timeout }) counts from the call, held bytes included", () => {
  const clock = new Clock();
  const factory = new ThrottlingFactory(Factory.forProtocol(Simple), {
    writeLimit: 100,
    clock,
  });
  const quick = connect(factory, new ClosingTransport());
  quick.proto.write(pattern(15)); // 5 held, released at 50 ms
  quick.proto.loseConnection({ timeout: 500 });
  clock.advance(50);
  assert.deepEqual(quick.transport.loseConnectionOptions, { timeout: 450 });

  const slow = connect(factory, new ClosingTransport());
  slow.proto.write(pattern(10_000));
  slow.proto.loseConnection({ timeout: 500 });
  clock.advance(500);
  const wrapped = slow.proto.wrappedProtocol as Simple;
  assert.ok(wrapped.lost[0] instanceof ConnectionAborted);
  assert.equal(slow.transport.disconnected, true);
  assert.equal(slow.proto.bufferedAmount, 0);
  clock.advance(100_000);
  assert.ok(slow.transport.value().length < 200);
});

Deno.test("ThrottlingFactory: abortConnection drops the held bytes", () => {
  const clock = new Clock();
  const factory = new ThrottlingFactory(Factory.forProtocol(Simple), {
    writeLimit: 100,
    clock,
  });
  const { proto, transport } = connect(factory, new ClosingTransport());
  proto.write(pattern(1000));
  proto.abortConnection();
  assert.equal(proto.bufferedAmount, 0);
  clock.advance(10_000);
  assert.equal(transport.value().length, 10);
  assert.equal(factory.protocols.size, 0);
  assert.equal(clock.getDelayedCalls().length, 0);
});

Deno.test("ThrottlingFactory: a streaming producer is paused past the high-water mark of held bytes, resumed at the low (Twisted's test_writeLimit, adapted)", () => {
  // Twisted pauses producers at the next one-second check; here they are
  // paused as soon as the bytes held exceed the transport's high-water mark.
  const events: string[] = [];
  class Producing extends Echo implements Producer {
    override bufferFull(): void {
      events.push("full");
    }
    override bufferDrained(): void {
      events.push("drained");
    }
    pauseProducing(): void {
      events.push("pause");
    }
    resumeProducing(): void {
      events.push("resume");
    }
    stopProducing(): void {
      events.push("stop");
    }
  }
  const clock = new Clock();
  const factory = new ThrottlingFactory(Factory.forProtocol(Producing), {
    writeLimit: 10,
    clock,
  });
  const transport = new StringTransport();
  transport.highWaterMark = 10;
  transport.lowWaterMark = 5;
  const proto = factory.buildProtocol(ADDR)!;
  proto.makeConnection(transport);
  proto.registerProducer(proto.wrappedProtocol as Producing, true);
  assert.notEqual(transport.producer, proto.wrappedProtocol); // a stand-in
  proto.dataReceived(b("0123456789"));
  assert.deepEqual(events, []);
  proto.dataReceived(b("abcdefghij"));
  assert.deepEqual(events, ["pause", "full"]);
  assert.equal(transport.valueText(), "0");
  clock.advance(1300); // 1 byte each 100 ms: 6 held
  assert.deepEqual(events, ["pause", "full"]);
  clock.advance(100); // 5 held
  assert.deepEqual(events, ["pause", "full", "resume", "drained"]);
  clock.advance(10_000);
  assert.equal(transport.valueText(), "0123456789abcdefghij");
  assert.throws(
    () => proto.registerProducer(proto.wrappedProtocol as Producing, true),
    /already registered/,
  );
  proto.unregisterProducer();
  assert.equal(transport.producer, null);
  proto.connectionLost(new ConnectionDone());
});

Deno.test("ThrottlingFactory: the transport's own marks reach the wrapped protocol and its producer", () => {
  const events: string[] = [];
  const producer: Producer = {
    pauseProducing: () => events.push("pause"),
    resumeProducing: () => events.push("resume"),
    stopProducing: () => events.push("stop"),
  };
  class Watching extends Protocol {
    override bufferFull(): void {
      events.push("full");
    }
    override bufferDrained(): void {
      events.push("drained");
    }
  }
  const factory = new ThrottlingFactory(Factory.forProtocol(Watching), {
    writeLimit: 1000,
    clock: new Clock(),
  });
  const { proto, transport } = connect(factory);
  proto.registerProducer(producer, true);
  proto.bufferFull(); // what the real transport calls
  proto.bufferDrained();
  assert.deepEqual(events, ["pause", "full", "resume", "drained"]);
  transport.producer!.stopProducing();
  assert.deepEqual(events.at(-1), "stop");
});

Deno.test("ThrottlingFactory: a pull producer is asked for more only once the held bytes are gone", () => {
  const clock = new Clock();
  let asked = 0;
  const factory = new ThrottlingFactory(Factory.forProtocol(Protocol), {
    writeLimit: 100,
    clock,
  });
  const { proto, transport } = connect(factory);
  const producer: Producer = {
    resumeProducing: () => {
      asked++;
      proto.write(pattern(30));
    },
    stopProducing: () => {},
  };
  proto.registerProducer(producer, false);
  const standIn = transport.producer!;
  standIn.resumeProducing(); // the transport's buffer is empty: asked
  assert.equal(asked, 1);
  standIn.resumeProducing(); // 10 bytes went, 20 held: not asked
  assert.equal(asked, 1);
  clock.advance(100); // 10 released
  assert.equal(asked, 1);
  clock.advance(100); // the last 10 released: asked once more
  assert.equal(asked, 2);
  assert.equal(transport.value().length, 30);
  proto.unregisterProducer();
  clock.advance(10_000);
  assert.equal(asked, 2);
});

Deno.test("ThrottlingFactory: without a write limit, producers and marks go straight through", () => {
  const factory = new ThrottlingFactory(Factory.forProtocol(Protocol), {
    readLimit: 1000,
    clock: new Clock(),
  });
  const { proto, transport } = connect(factory);
  const producer: Producer = { resumeProducing() {}, stopProducing() {} };
  proto.registerProducer(producer, true);
  assert.equal(transport.producer, producer);
  proto.unregisterProducer();
  assert.equal(transport.producer, null);
  proto.write(pattern(100_000));
  assert.equal(transport.value().length, 100_000);
});

Deno.test("ThrottlingFactory: reads pause every connection once the budget is spent (Twisted's test_readLimit)", () => {
  // Twisted pauses at the next one-second check and resumes after
  // (read / limit - 1) s; here reading pauses at once and resumes when the
  // bucket is half full again. Twisted's checkpoints hold for both.
  const clock = new Clock();
  const factory = new ThrottlingFactory(Factory.forProtocol(Echo), {
    readLimit: 10,
    clock,
  });
  const { proto, transport } = connect(factory);
  proto.dataReceived(b("0123456789"));
  proto.dataReceived(b("abcdefghij"));
  assert.equal(transport.valueText(), "0123456789abcdefghij");
  assert.equal(transport.producerState, "paused");
  clock.advance(1050);
  assert.equal(transport.producerState, "paused");
  clock.advance(1050);
  assert.equal(transport.producerState, "producing");

  transport.clear();
  proto.dataReceived(b("0123456789"));
  proto.dataReceived(b("abcdefghij"));
  assert.equal(transport.valueText(), "0123456789abcdefghij");
  clock.advance(1050);
  assert.equal(transport.producerState, "paused");
  clock.advance(1050);
  assert.equal(transport.producerState, "producing");
});

Deno.test("ThrottlingFactory: exact read budget: 100 ms worth at once, reading resumes at half that", () => {
  const clock = new Clock();
  const factory = new ThrottlingFactory(Factory.forProtocol(Protocol), {
    readLimit: 1000,
    clock,
  });
  const a = connect(factory);
  const c = connect(factory);
  a.proto.dataReceived(new Uint8Array(99));
  assert.equal(factory.readThrottled, false);
  c.proto.dataReceived(new Uint8Array(1));
  assert.equal(factory.readThrottled, true);
  assert.equal(a.transport.producerState, "paused");
  assert.equal(c.transport.producerState, "paused");
  const late = connect(factory); // made while throttled: starts paused
  assert.equal(late.transport.producerState, "paused");
  clock.advance(49);
  assert.equal(factory.readThrottled, true);
  clock.advance(1);
  assert.equal(factory.readThrottled, false);
  for (const { transport } of [a, c, late]) {
    assert.equal(transport.producerState, "producing");
  }
  // An overdraft (one big read) is repaid before reading resumes.
  a.proto.dataReceived(new Uint8Array(1050)); // 50 - 1050 = -1000
  clock.advance(1049);
  assert.equal(factory.readThrottled, true);
  clock.advance(1);
  assert.equal(factory.readThrottled, false);
});

Deno.test("ThrottlingFactory: the wrapped protocol's own pause outlasts the throttle, and the other way round", () => {
  const clock = new Clock();
  const factory = new ThrottlingFactory(Factory.forProtocol(Protocol), {
    readLimit: 1000,
    clock,
  });
  const { proto, transport } = connect(factory);
  proto.pauseProducing(); // the wrapped protocol pauses
  proto.dataReceived(new Uint8Array(100)); // and the throttle too
  clock.advance(50);
  assert.equal(factory.readThrottled, false);
  assert.equal(transport.producerState, "paused");
  proto.resumeProducing();
  assert.equal(transport.producerState, "producing");
  proto.dataReceived(new Uint8Array(100));
  assert.equal(transport.producerState, "paused");
  proto.resumeProducing(); // the throttle still holds it
  assert.equal(transport.producerState, "paused");
  clock.advance(100);
  assert.equal(transport.producerState, "producing");
  proto.stopProducing();
  assert.equal(transport.producerState, "stopped");
});

Deno.test("ThrottlingFactory: the last connection lost leaves no timer; the debt is kept", () => {
  const clock = new Clock();
  const factory = new ThrottlingFactory(Factory.forProtocol(Simple), {
    readLimit: 1000,
    writeLimit: 1000,
    clock,
  });
  const { proto } = connect(factory, new ClosingTransport());
  proto.dataReceived(new Uint8Array(1100));
  proto.write(pattern(1000));
  assert.equal(clock.getDelayedCalls().length, 2);
  proto.loseConnection({});
  proto.abortConnection();
  assert.equal(clock.getDelayedCalls().length, 0);
  assert.equal(factory.readThrottled, false);
  const next = connect(factory);
  next.proto.dataReceived(new Uint8Array(1)); // still 1001 bytes in debt
  assert.equal(factory.readThrottled, true);
  assert.equal(next.transport.producerState, "paused");
  clock.advance(1050); // back to half full (50 bytes) after 1051 ms
  assert.equal(next.transport.producerState, "paused");
  clock.advance(1);
  assert.equal(next.transport.producerState, "producing");
});

Deno.test("ThrottlingFactory: limits are checked", () => {
  const inner = Factory.forProtocol(Protocol);
  for (const bad of [0, -1, NaN, Infinity]) {
    assert.throws(
      () => new ThrottlingFactory(inner, { readLimit: bad }),
      RangeError,
    );
    assert.throws(
      () => new ThrottlingFactory(inner, { writeLimit: bad }),
      RangeError,
    );
  }
  const tiny = new ThrottlingFactory(inner, {
    writeLimit: 0.5,
    clock: new Clock(),
  });
  assert.equal(tiny.writeLimit, 0.5);
});

Deno.test("ThrottlingFactory: a rate below one byte per burst still moves, a byte at a time", () => {
  const clock = new Clock();
  const factory = new ThrottlingFactory(Factory.forProtocol(Protocol), {
    writeLimit: 2,
    clock,
  });
  const { proto, transport } = connect(factory);
  proto.write("abcde");
  assert.equal(transport.valueText(), "a");
  clock.advance(500);
  assert.equal(transport.valueText(), "ab");
  clock.advance(1500);
  assert.equal(transport.valueText(), "abcde");
});

Deno.test("ThrottlingFactory: one release per tick even when time moves while releasing (real time does)", () => {
  // Real time advances between two reads of the clock: a release loop that
  // re-read the bucket would dribble out a few bytes at a time until
  // nothing was held, holding the event loop all along.
  const clock = new Clock();
  let drift = 0;
  const drifting: ReactorTime = {
    now: () => clock.now() + (drift += 0.01),
    callLater: (ms, fn) => clock.callLater(ms, fn),
  };
  let writes = 0;
  class Counting extends StringTransport {
    override write(data: Uint8Array | string): void {
      writes++;
      super.write(data);
    }
  }
  const factory = new ThrottlingFactory(Factory.forProtocol(Protocol), {
    writeLimit: 1000 * 1000,
    clock: drifting,
  });
  const { proto, transport } = connect(factory, new Counting());
  proto.write(pattern(1000 * 1000));
  assert.equal(writes, 1);
  clock.advance(50);
  assert.equal(writes, 2);
  assert.ok(Math.abs(transport.value().length - 150_000) < 1000);
});

const MiB = 1024 * 1024;

async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  for (let offset = 0; offset < data.length;) {
    offset += await conn.write(data.subarray(offset));
  }
}

Deno.test("over sockets: writes are held to the limit, byte-exact per slice of fake time", async () => {
  const clock = new Clock();
  const total = 4 * MiB;
  class Sender extends Recorder {
    override connectionMade(): void {
      super.connectionMade();
      this.transport!.write(pattern(total));
    }
  }
  const inner = new ListFactory(() => new Sender());
  const factory = new ThrottlingFactory(inner, { writeLimit: MiB, clock });
  await using port = await serve(factory);
  const client = await connectTo(port);
  const server = await inner.nth(0);
  await server.made.promise;
  const wrapper = server.transport as ProtocolWrapper;
  const released = (): number =>
    total - (wrapper.bufferedAmount - wrapper.transport!.bufferedAmount);
  let received = 0;
  const start = released();
  assert.equal(start, Math.floor(MiB / 10)); // one burst: 100 ms worth
  received += (await readN(client, start)).length;
  for (let t = 50; t <= 3000; t += 50) {
    clock.advance(50);
    const expected = Math.floor(MiB / 10 + (MiB * t) / 1000);
    assert.ok(
      Math.abs(released() - expected) <= 1,
      `at ${t} ms: ${released()} != ${expected}`,
    );
    received += (await readN(client, released() - received)).length;
  }
  const rate = (received - start) / 3; // bytes per (fake) second
  assert.ok(Math.abs(rate - MiB) / MiB < 0.001, `rate ${rate}`);
  client.close();
  await server.lost.promise;
});

Deno.test("over sockets: reads are held to the limit within one read per pause", async () => {
  const clock = new Clock();
  const inner = new ListFactory(() => new Recorder());
  const factory = new ThrottlingFactory(inner, { readLimit: MiB, clock });
  await using port = await serve(factory);
  const client = await connectTo(port);
  const flood = writeAll(client, pattern(8 * MiB)).catch(() => {});
  const server = await inner.nth(0);
  const burst = MiB / 10;
  await server.waitFor(Math.ceil(burst));
  assert.equal(factory.readThrottled, true);
  const first = server.receivedBytes;
  assert.ok(first <= burst + 64 * 1024, `first burst ${first}`);
  while (clock.now() < 3000) {
    const next = clock.getDelayedCalls()[0];
    clock.advance(next.time - clock.now());
    if (factory.readThrottled) continue; // not yet half full: waits again
    await server.waitFor(Math.ceil(burst + (MiB * clock.now()) / 1000));
    assert.equal(factory.readThrottled, true);
    // Never more than the budget plus the one read that overdrew it.
    const budget = burst + (MiB * clock.now()) / 1000;
    assert.ok(server.receivedBytes <= budget + 64 * 1024);
  }
  const rate = ((server.receivedBytes - first) * 1000) / clock.now();
  assert.ok(Math.abs(rate - MiB) / MiB < 0.1, `rate ${rate}`);
  // Paused, the server would not see the client go: abort it.
  server.transport!.abortConnection();
  assert.ok((await server.lost.promise) instanceof ConnectionAborted);
  client.close();
  await flood;
});
