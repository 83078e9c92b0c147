// Edges of the policies that the main suites leave out: argument types, peer
// keys of odd addresses, the throttling wrapper after its loss and with
// producers while full, a budget spent by a protocol while it is being
// released to, and the low-water mark of a WrappingFactory.

import assert from "node:assert/strict";
import {
  ConnectionDone,
  Factory,
  type Producer,
  Protocol,
} from "../../../mod.ts";
import { hostKey, peerKey } from "../../../protocols/policies/_peer_key.ts";
import {
  LimitConnectionsByPeer,
  type ProtocolWrapper,
  ThrottlingFactory,
  TimeoutFactory,
  TrafficLoggingFactory,
  WrappingFactory,
} from "../../../protocols/policies/mod.ts";
import { Clock, StringTransport } from "../../../testing/mod.ts";
import { ADDR, Simple } from "./_policies.ts";

const VSOCK = {
  transport: "vsock",
  cid: 3,
  port: 5000,
} as unknown as Deno.Addr;

// --- argument checks --------------------------------------------------------

Deno.test("policies: a count or rate that is not a number is a TypeError", () => {
  const inner = Factory.forProtocol(Protocol);
  assert.throws(
    () => new ThrottlingFactory(inner, { readLimit: "5" as unknown as number }),
    (error: unknown) =>
      error instanceof TypeError &&
      error.message === "readLimit must be a number: 5",
  );
  assert.throws(
    () =>
      new LimitConnectionsByPeer(inner, {
        maxConnectionsPerPeer: "2" as unknown as number,
      }),
    TypeError,
  );
  assert.throws(
    () => new TimeoutFactory(inner, { timeout: "1" as unknown as number }),
    TypeError,
  );
});

// --- peer keys ---------------------------------------------------------------

Deno.test("peer keys: what is not an IPv6 address is kept as written (lowercased)", () => {
  assert.equal(hostKey("12345::1"), "12345::1"); // a group of five digits
  assert.equal(hostKey("g::1"), "g::1"); // not hex
  assert.equal(hostKey("1:2:3:4::5:6:7:8"), "1:2:3:4::5:6:7:8"); // "::" for nothing
  assert.equal(hostKey("::FFFF:1.2.3"), "::ffff:1.2.3"); // three IPv4 parts
  assert.equal(hostKey("::ffff:1.2.3.x"), "::ffff:1.2.3.x"); // not a number
  assert.equal(hostKey("::ffff:1.2.3.4"), "1.2.3.4"); // the valid one, mapped
});

Deno.test("peer keys: other transports are keyed by transport and context id", () => {
  assert.equal(peerKey(VSOCK), "vsock:3");
  assert.equal(
    peerKey({ transport: "vsock" } as unknown as Deno.Addr),
    "vsock",
  );
});

Deno.test("LimitConnectionsByPeer: vsock peers are counted per context id", () => {
  const factory = new LimitConnectionsByPeer(Factory.forProtocol(Protocol), {
    maxConnectionsPerPeer: 1,
  });
  assert.notEqual(factory.buildProtocol(VSOCK), null);
  assert.equal(
    factory.buildProtocol({ ...VSOCK, port: 6000 } as Deno.Addr),
    null,
  );
  assert.notEqual(
    factory.buildProtocol({ ...VSOCK, cid: 4 } as Deno.Addr),
    null,
  );
  assert.deepEqual([...factory.peerConnections], [["vsock:3", 1], [
    "vsock:4",
    1,
  ]]);
});

Deno.test("TrafficLoggingFactory: an address of another transport is logged as JSON", () => {
  const lines: string[] = [];
  const factory = new TrafficLoggingFactory(
    Factory.forProtocol(Protocol),
    (line) => lines.push(line),
  );
  const proto = factory.buildProtocol(VSOCK)!;
  proto.makeConnection(new StringTransport({ peer: VSOCK }));
  assert.ok(
    lines.some((line) => line.includes(JSON.stringify(VSOCK))),
    lines.join("\n"),
  );
});

// --- WrappingFactory water marks ---------------------------------------------

Deno.test("WrappingFactory: its own lowWaterMark overrides the wrapped factory's until unset", () => {
  const inner = Factory.forProtocol(Protocol);
  inner.lowWaterMark = 1000;
  const factory = new WrappingFactory(inner);
  assert.equal(factory.lowWaterMark, 1000);
  factory.lowWaterMark = 10;
  assert.equal(factory.lowWaterMark, 10);
  assert.equal(inner.lowWaterMark, 1000);
  factory.lowWaterMark = undefined;
  assert.equal(factory.lowWaterMark, 1000);
});

// --- the throttling wrapper --------------------------------------------------

function connect(
  factory: ThrottlingFactory,
  wrapped?: Protocol,
): { proto: ProtocolWrapper & ThrottleParts; transport: StringTransport } {
  const proto = factory.buildProtocol(ADDR)! as ProtocolWrapper & ThrottleParts;
  const transport = new StringTransport();
  proto.makeConnection(transport);
  if (wrapped) assert.equal(proto.wrappedProtocol, wrapped);
  return { proto, transport };
}

/** What the throttling wrapper adds to ProtocolWrapper. */
interface ThrottleParts {
  readonly heldBytes: number;
  release(max: number): number;
}

/** A producer recording its calls. */
class RecordingProducer implements Producer {
  calls: string[] = [];
  pauseProducing(): void {
    this.calls.push("pause");
  }
  resumeProducing(): void {
    this.calls.push("resume");
  }
  stopProducing(): void {
    this.calls.push("stop");
  }
}

Deno.test("ThrottlingFactory: after the loss, writes, closes, pauses and buffer hooks are no-ops", () => {
  const clock = new Clock();
  const factory = new ThrottlingFactory(Factory.forProtocol(Simple), {
    readLimit: 1000,
    writeLimit: 1000,
    clock,
  });
  const { proto, transport } = connect(factory);
  const simple = proto.wrappedProtocol as Simple;
  let full = 0;
  simple.bufferFull = () => full++;
  proto.connectionLost(new ConnectionDone());
  assert.equal(simple.lost.length, 1);
  proto.write("late");
  proto.loseConnection();
  proto.pauseProducing();
  proto.bufferFull();
  assert.equal(transport.value().length, 0);
  assert.equal(transport.disconnecting, false);
  assert.equal(transport.producerState, "producing");
  assert.equal(proto.heldBytes, 0);
  assert.equal(full, 0);
});

Deno.test("ThrottlingFactory: release with nothing held sends nothing", () => {
  const factory = new ThrottlingFactory(Factory.forProtocol(Protocol), {
    writeLimit: 1000,
    clock: new Clock(),
  });
  const { proto, transport } = connect(factory);
  assert.equal(proto.release(10), 0);
  assert.equal(proto.release(0), 0);
  assert.equal(transport.value().length, 0);
});

Deno.test("ThrottlingFactory: thousands of small held writes go out in order (the held list is compacted)", () => {
  const clock = new Clock();
  const factory = new ThrottlingFactory(Factory.forProtocol(Protocol), {
    writeLimit: 1000,
    clock,
  });
  const { proto, transport } = connect(factory);
  const expected: number[] = [];
  for (let i = 0; i < 3000; i++) {
    proto.write(new Uint8Array([i % 251]));
    expected.push(i % 251);
  }
  assert.equal(transport.value().length, 100); // 100 ms worth at once
  assert.equal(proto.heldBytes, 2900);
  clock.advance(1500); // 1500 more bytes: past half the held chunks
  assert.equal(transport.value().length, 1600);
  clock.advance(1400);
  assert.equal(proto.heldBytes, 0);
  assert.deepEqual([...transport.value()], expected);
});

Deno.test("ThrottlingFactory: a second loseConnection while bytes are held keeps the first timeout", () => {
  const clock = new Clock();
  const factory = new ThrottlingFactory(Factory.forProtocol(Protocol), {
    writeLimit: 1000,
    clock,
  });
  const { proto, transport } = connect(factory);
  proto.write(new Uint8Array(1000)); // 900 held: 900 ms to go
  proto.loseConnection({ timeout: 200 });
  proto.loseConnection({ timeout: 5000 });
  assert.equal(proto.disconnecting, true);
  assert.equal(transport.disconnecting, false);
  clock.advance(200);
  assert.equal(transport.disconnected, true); // aborted at the first timeout
  assert.equal(proto.heldBytes, 0);
});

Deno.test("ThrottlingFactory: loseWriteConnection with nothing held goes straight through", () => {
  const factory = new ThrottlingFactory(Factory.forProtocol(Protocol), {
    writeLimit: 1000,
    clock: new Clock(),
  });
  const { proto, transport } = connect(factory);
  proto.write("hi");
  proto.loseWriteConnection();
  assert.equal(transport.writeConnectionLost, true);
  assert.equal(transport.valueText(), "hi");
});

Deno.test("ThrottlingFactory: a streaming producer registered while the held bytes are over the mark is paused at once", () => {
  const clock = new Clock();
  const factory = new ThrottlingFactory(Factory.forProtocol(Protocol), {
    writeLimit: 100,
    clock,
  });
  const { proto, transport } = connect(factory);
  transport.highWaterMark = 20;
  transport.lowWaterMark = 5;
  proto.write(new Uint8Array(100)); // 10 go, 90 held: over the mark
  assert.equal(proto.heldBytes, 90);
  const producer = new RecordingProducer();
  proto.registerProducer(producer, true);
  assert.deepEqual(producer.calls, ["pause"]);
  // The real transport's own resume of a streaming producer is ignored: only
  // the held bytes decide.
  transport.producer!.resumeProducing();
  transport.producer!.pauseProducing?.();
  assert.deepEqual(producer.calls, ["pause"]);
  clock.advance(850); // 85 more: 5 held, at the low-water mark
  assert.equal(proto.heldBytes, 5);
  assert.deepEqual(producer.calls, ["pause", "resume"]);
});

Deno.test("ThrottlingFactory: without a write limit, bufferFull and bufferDrained reach the protocol directly", () => {
  const factory = new ThrottlingFactory(Factory.forProtocol(Simple), {
    readLimit: 1000,
    clock: new Clock(),
  });
  const { proto } = connect(factory);
  const calls: string[] = [];
  const simple = proto.wrappedProtocol as Simple;
  simple.bufferFull = () => calls.push("full");
  simple.bufferDrained = () => calls.push("drained");
  proto.bufferFull();
  proto.bufferDrained();
  assert.deepEqual(calls, ["full", "drained"]);
});

Deno.test("ThrottlingFactory: a protocol that spends the budget while being released to leaves none for the next", () => {
  const clock = new Clock();
  const factory = new ThrottlingFactory(Factory.forProtocol(Protocol), {
    writeLimit: 1000,
    clock,
  });
  const a = connect(factory);
  const bConn = connect(factory);
  a.proto.write(new Uint8Array(100)); // the whole first budget
  a.proto.write(new Uint8Array(10)); // held
  bConn.proto.write(new Uint8Array(200)); // held
  // A pull producer on A asks for more while A still holds bytes: it is
  // resumed once they are gone, and then writes 1000 bytes at once.
  const producer: Producer = {
    resumeProducing: () => a.proto.write(new Uint8Array(1000).fill(7)),
    stopProducing: () => {},
  };
  a.proto.registerProducer(producer, false);
  a.transport.producer!.resumeProducing();
  assert.equal(a.transport.value().length, 100);
  clock.advance(50); // 50 bytes of budget, shared between A and B
  // A got its 10 held bytes, then its producer's write took the other 40.
  assert.equal(a.transport.value().length, 150);
  assert.equal(a.proto.heldBytes, 960);
  assert.equal(bConn.transport.value().length, 0);
  assert.equal(bConn.proto.heldBytes, 200);
  clock.advance(50); // the next 50 are shared again
  assert.equal(
    a.transport.value().length + bConn.transport.value().length,
    200,
  );
  assert.equal(bConn.transport.value().length, 25);
});
