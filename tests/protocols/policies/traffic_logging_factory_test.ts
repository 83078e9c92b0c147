// TrafficLoggingFactory: what is logged, to a callback and to a file.
// Twisted's test_policies.py LoggingFactoryTests, adapted to one sink per
// factory and torsion's line format.

import assert from "node:assert/strict";
import {
  ConnectionAborted,
  ConnectionDone,
  Factory,
  type Producer,
  Protocol,
} from "../../../mod.ts";
import { TrafficLoggingFactory } from "../../../protocols/policies/mod.ts";
import { StringTransport } from "../../../testing/mod.ts";
import {
  connectTo,
  decoder,
  encoder,
  ListFactory,
  readAll,
  Recorder,
  serve,
} from "../../_net.ts";
import { ADDR, b, ClosingTransport, Echo } from "./_policies.ts";

/** Twisted's WriteSequenceEchoProtocol. */
class WriteSequenceEcho extends Echo {
  override dataReceived(data: Uint8Array): void {
    if (decoder.decode(data).includes("vector!")) {
      this.transport!.writeSequence([data]);
    } else {
      super.dataReceived(data);
    }
  }
}

function logged(
  protocol: new () => Protocol,
  options: { previewLength?: number } = {},
): { lines: string[]; factory: TrafficLoggingFactory } {
  const lines: string[] = [];
  const factory = new TrafficLoggingFactory(
    Factory.forProtocol(protocol),
    (line) => lines.push(line),
    options,
  );
  return { lines, factory };
}

Deno.test("TrafficLoggingFactory: things get logged (test_thingsGetLogged)", () => {
  const { lines, factory } = logged(WriteSequenceEcho);
  const transport = new ClosingTransport();
  const proto = factory.buildProtocol(ADDR)!;
  transport.protocol = proto;
  proto.makeConnection(transport);
  assert.deepEqual(lines, [
    "#1 connection made: peer 127.0.0.1:54321, host 127.0.0.1:8007",
  ]);
  assert.equal(transport.value().length, 0);

  proto.dataReceived(b("here are some bytes"));
  assert.deepEqual(lines.slice(1), [
    '#1 received 19 bytes: "here are some bytes"',
    '#1 sent 19 bytes: "here are some bytes"',
  ]);
  assert.equal(transport.valueText(), "here are some bytes");

  transport.clear();
  proto.dataReceived(b("prepare for vector! to the extreme"));
  assert.equal(
    lines.at(-1),
    '#1 sent 34 bytes in 1 chunks: "prepare for vector! to the extreme"',
  );
  assert.equal(transport.valueText(), "prepare for vector! to the extreme");

  proto.loseConnection();
  assert.deepEqual(lines.slice(-2), [
    "#1 loseConnection",
    "#1 connection lost: ConnectionDone: Connection was closed cleanly",
  ]);
});

Deno.test("TrafficLoggingFactory: every event, in order", () => {
  class Busy extends Protocol {
    override readConnectionLost(): void {}
  }
  const { lines, factory } = logged(Busy);
  const transport = new StringTransport({
    peer: { transport: "tcp", hostname: "::1", port: 5 },
    host: { transport: "unix", path: "/run/app.sock" },
  });
  const proto = factory.buildProtocol(ADDR)!;
  proto.makeConnection(transport);
  const producer: Producer = { resumeProducing() {}, stopProducing() {} };
  proto.write("hi");
  proto.writeSequence(["a", b("bc")]);
  proto.pauseProducing();
  proto.resumeProducing();
  proto.registerProducer(producer, true);
  proto.unregisterProducer();
  proto.registerProducer(producer, false);
  proto.unregisterProducer();
  proto.bufferFull();
  proto.bufferDrained();
  proto.readConnectionLost!();
  proto.loseWriteConnection();
  proto.loseConnection({ timeout: 5000 });
  proto.stopProducing();
  proto.abortConnection();
  proto.connectionLost(new ConnectionAborted());
  proto.write("after the loss: not logged");
  assert.deepEqual(lines, [
    "#1 connection made: peer [::1]:5, host unix:/run/app.sock",
    '#1 sent 2 bytes: "hi"',
    '#1 sent 3 bytes in 2 chunks: "abc"',
    "#1 pauseProducing (reading paused)",
    "#1 resumeProducing (reading resumed)",
    "#1 registerProducer (streaming)",
    "#1 unregisterProducer",
    "#1 registerProducer (pull)",
    "#1 unregisterProducer",
    "#1 bufferFull (0 bytes buffered)",
    "#1 bufferDrained (0 bytes buffered)",
    "#1 peer half-closed",
    "#1 loseWriteConnection",
    "#1 loseConnection (timeout 5000 ms)",
    "#1 stopProducing (reading stopped)",
    "#1 abortConnection",
    "#1 connection lost: ConnectionAborted: Connection was aborted locally",
  ]);
});

Deno.test("TrafficLoggingFactory: previews escape bytes and stop at previewLength", () => {
  const { lines, factory } = logged(Protocol, { previewLength: 8 });
  const proto = factory.buildProtocol(ADDR)!;
  proto.makeConnection(new StringTransport());
  proto.dataReceived(
    new Uint8Array([0x61, 0x0d, 0x0a, 0x09, 0x5c, 0x22, 0x00, 0xff]),
  );
  proto.dataReceived(b("0123456789"));
  proto.writeSequence(["0123", "4567", "89"]);
  proto.write("héllo");
  assert.deepEqual(lines.slice(1), [
    '#1 received 8 bytes: "a\\r\\n\\t\\\\\\"\\x00\\xff"',
    '#1 received 10 bytes: "01234567"...',
    '#1 sent 10 bytes in 3 chunks: "01234567"...',
    '#1 sent 6 bytes: "h\\xc3\\xa9llo"',
  ]);
  const all = logged(Protocol, { previewLength: Infinity });
  const p = all.factory.buildProtocol(ADDR)!;
  p.makeConnection(new StringTransport());
  p.dataReceived(b("x".repeat(1000)));
  assert.equal(all.lines[1], `#1 received 1000 bytes: "${"x".repeat(1000)}"`);
  assert.throws(() => logged(Protocol, { previewLength: -1 }), RangeError);
});

Deno.test("TrafficLoggingFactory: connections are numbered; resetCounter starts again (test_counter)", () => {
  const { lines, factory } = logged(Protocol);
  for (let i = 0; i < 2; i++) {
    factory.buildProtocol(ADDR)!.makeConnection(new StringTransport());
  }
  factory.resetCounter();
  factory.buildProtocol(ADDR)!.makeConnection(new StringTransport());
  assert.deepEqual(lines.map((l) => l.split(" ")[0]), ["#1", "#2", "#1"]);
});

Deno.test("TrafficLoggingFactory: a failing sink is reported once and disturbs nothing", () => {
  const reported: unknown[][] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => reported.push(args);
  try {
    const factory = new TrafficLoggingFactory(Factory.forProtocol(Echo), () => {
      throw new Error("disk full");
    });
    const transport = new StringTransport();
    const proto = factory.buildProtocol(ADDR)!;
    proto.makeConnection(transport);
    proto.dataReceived(b("still echoed"));
    proto.connectionLost(new ConnectionDone());
    assert.equal(transport.valueText(), "still echoed");
    assert.equal(reported.length, 1);
    assert.match(String(reported[0][1]), /disk full/);
  } finally {
    console.error = original;
  }
});

Deno.test("TrafficLoggingFactory: refuses a log that is neither a function nor a path", () => {
  assert.throws(
    () =>
      new TrafficLoggingFactory(
        Factory.forProtocol(Protocol),
        42 as unknown as string,
      ),
    TypeError,
  );
});

Deno.test("TrafficLoggingFactory: to a file, appended, one file for all connections, closed when idle", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/traffic.log`;
  try {
    await Deno.writeTextFile(path, "earlier line\n");
    const factory = new TrafficLoggingFactory(Factory.forProtocol(Echo), path);
    const one = factory.buildProtocol(ADDR)!;
    const two = factory.buildProtocol(ADDR)!;
    one.makeConnection(new StringTransport());
    two.makeConnection(new StringTransport());
    one.dataReceived(b("one"));
    two.dataReceived(b("two"));
    one.connectionLost(new ConnectionDone());
    // Lines are written as they come: readable before the factory is done.
    assert.match(await Deno.readTextFile(path), /#2 sent 3 bytes: "two"/);
    two.connectionLost(new ConnectionDone()); // the last one: the file is closed
    const text = await Deno.readTextFile(path);
    assert.deepEqual(text.split("\n"), [
      "earlier line",
      "#1 connection made: peer 127.0.0.1:54321, host 127.0.0.1:8007",
      "#2 connection made: peer 127.0.0.1:54321, host 127.0.0.1:8007",
      '#1 received 3 bytes: "one"',
      '#1 sent 3 bytes: "one"',
      '#2 received 3 bytes: "two"',
      '#2 sent 3 bytes: "two"',
      "#1 connection lost: ConnectionDone: Connection was closed cleanly",
      "#2 connection lost: ConnectionDone: Connection was closed cleanly",
      "",
    ]);
    // Used again: opened again, still appending.
    const three = factory.buildProtocol(ADDR)!;
    const transport = new ClosingTransport();
    transport.protocol = three;
    three.makeConnection(transport);
    three.abortConnection();
    const again = (await Deno.readTextFile(path)).split("\n");
    assert.deepEqual(again.slice(9), [
      "#3 connection made: peer 127.0.0.1:54321, host 127.0.0.1:8007",
      "#3 abortConnection",
      "#3 connection lost: ConnectionAborted: Connection was aborted locally",
      "",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("over sockets: a session with a half-close, logged to a file while the port serves", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/traffic.log`;
  try {
    class EchoRecorder extends Recorder {
      override dataReceived(data: Uint8Array): void {
        super.dataReceived(data);
        this.transport!.write(data);
      }
    }
    const inner = new ListFactory(() => new EchoRecorder());
    const port = await serve(new TrafficLoggingFactory(inner, path));
    const client = await connectTo(port);
    await client.write(encoder.encode("ping\n"));
    const server = await inner.nth(0);
    await server.waitFor(5);
    await client.closeWrite();
    assert.equal(decoder.decode(await readAll(client)), "ping\n");
    await server.lost.promise;
    client.close();
    await port.close();
    const lines = (await Deno.readTextFile(path)).trimEnd().split("\n");
    const local = client.localAddr as Deno.NetAddr;
    assert.deepEqual(lines, [
      `#1 connection made: peer 127.0.0.1:${local.port}, host 127.0.0.1:${
        (port.addr as Deno.NetAddr).port
      }`,
      '#1 received 5 bytes: "ping\\n"',
      '#1 sent 5 bytes: "ping\\n"',
      "#1 connection lost: ConnectionDone: Connection was closed cleanly",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
