// WrappingFactory and ProtocolWrapper: every transport call and every event
// passes through, half-close included (Twisted #4700). Vectors ported from
// Twisted's test_policies.py WrapperTests.

import assert from "node:assert/strict";
import {
  ClientFactory,
  ConnectionAborted,
  type ConnectionClosed,
  ConnectionDone,
  type Connector,
  Factory,
  type Producer,
  Protocol,
} from "../../../mod.ts";
import {
  LimitTotalConnectionsFactory,
  ProtocolWrapper,
  WrappingFactory,
} from "../../../protocols/policies/mod.ts";
import { connectedPair, StringTransport } from "../../../testing/mod.ts";
import {
  ADDR,
  b,
  Echo,
  RecordingTransport,
  Simple,
  TlsCapableTransport,
} from "./_policies.ts";

function wrapped(protocol: Protocol = new Protocol()): {
  wrapper: ProtocolWrapper;
  transport: RecordingTransport;
} {
  const wrapper = new ProtocolWrapper(
    new WrappingFactory(Factory.forProtocol(Protocol)),
    protocol,
  );
  const transport = new RecordingTransport();
  wrapper.makeConnection(transport);
  transport.calls = [];
  return { wrapper, transport };
}

Deno.test("buildProtocol wraps the wrapped factory's protocol, whose factory stays the wrapped one", () => {
  const inner = Factory.forProtocol(Echo);
  const factory = new WrappingFactory(inner);
  const wrapper = factory.buildProtocol(ADDR)!;
  assert.ok(wrapper instanceof ProtocolWrapper);
  assert.ok(wrapper.wrappedProtocol instanceof Echo);
  assert.equal(wrapper.wrappedProtocol.factory, inner);
  assert.equal(wrapper.factory, factory);
  assert.equal(factory.wrappedFactory, inner);
});

Deno.test("buildProtocol passes the address on and returns null when the wrapped factory refuses", () => {
  const seen: Deno.Addr[] = [];
  class Refusing extends Factory {
    override buildProtocol(addr: Deno.Addr): Protocol | null {
      seen.push(addr);
      return null;
    }
  }
  assert.equal(new WrappingFactory(new Refusing()).buildProtocol(ADDR), null);
  assert.deepEqual(seen, [ADDR]);
});

Deno.test("WrappingFactory refuses something that is not a factory", () => {
  assert.throws(
    () => new WrappingFactory(null as unknown as Factory),
    TypeError,
  );
});

Deno.test("the wrapped protocol's transport is the wrapper, connected, with the real addresses", () => {
  const inner = new Simple();
  const { wrapper, transport } = wrapped(inner);
  assert.equal(inner.transport, wrapper);
  assert.equal(wrapper.transport, transport);
  assert.equal(inner.made, 1);
  assert.equal(inner.connected, true);
  assert.equal(wrapper.connected, true);
  assert.equal(wrapper.getPeer(), transport.peer);
  assert.equal(wrapper.getHost(), transport.host);
});

Deno.test("every Transport call reaches the real transport", () => {
  const { wrapper, transport } = wrapped();
  const producer: Producer = {
    resumeProducing() {},
    stopProducing() {},
  };
  const bytes = b("bytes");
  wrapper.write(bytes);
  wrapper.write("text");
  wrapper.writeSequence(["a", bytes]);
  wrapper.loseConnection({ timeout: 5 });
  wrapper.loseConnection();
  wrapper.abortConnection();
  wrapper.loseWriteConnection();
  wrapper.pauseProducing();
  wrapper.resumeProducing();
  wrapper.stopProducing();
  wrapper.registerProducer(producer, true);
  wrapper.unregisterProducer();
  wrapper.setTcpNoDelay(false);
  wrapper.setTcpKeepAlive(true);
  wrapper.highWaterMark = 1000;
  wrapper.lowWaterMark = 100;
  assert.equal(wrapper.highWaterMark, 1000);
  assert.equal(wrapper.lowWaterMark, 100);
  assert.deepEqual(transport.calls, [
    ["write", bytes],
    ["write", "text"],
    ["writeSequence", ["a", bytes]],
    ["loseConnection", { timeout: 5 }],
    ["loseConnection", undefined],
    ["abortConnection"],
    ["loseWriteConnection"],
    ["pauseProducing"],
    ["resumeProducing"],
    ["stopProducing"],
    ["registerProducer", producer, true],
    ["unregisterProducer"],
    ["setTcpNoDelay", false],
    ["setTcpKeepAlive", true],
    ["set highWaterMark", 1000],
    ["set lowWaterMark", 100],
    ["get highWaterMark"],
    ["get lowWaterMark"],
  ]);
  assert.equal(wrapper.bufferedAmount, 7);
  assert.equal(wrapper.alpnProtocol, "h2");
  assert.equal(wrapper.disconnecting, false);
  transport.disconnecting = true;
  transport.bufferedAmount = 9;
  assert.equal(wrapper.disconnecting, true);
  assert.equal(wrapper.bufferedAmount, 9);
});

Deno.test("registerProducer and unregisterProducer reach a StringTransport (Twisted vectors)", () => {
  const wrapper = new ProtocolWrapper(
    new WrappingFactory(Factory.forProtocol(Echo)),
    new Protocol(),
  );
  const transport = new StringTransport();
  wrapper.makeConnection(transport);
  const producer: Producer = { resumeProducing() {}, stopProducing() {} };
  wrapper.registerProducer(producer, true);
  assert.equal(transport.producer, producer);
  assert.equal(transport.streaming, true);
  assert.throws(
    () => wrapper.registerProducer(producer, true),
    /already registered/,
  );
  wrapper.unregisterProducer();
  assert.equal(transport.producer, null);
  assert.equal(transport.streaming, null);
});

Deno.test("startTLS is there exactly when the real transport has it, and forwarded", async () => {
  assert.equal(wrapped().wrapper.startTLS, undefined);
  const wrapper = new ProtocolWrapper(
    new WrappingFactory(Factory.forProtocol(Protocol)),
    new Protocol(),
  );
  const transport = new TlsCapableTransport();
  wrapper.makeConnection(transport);
  assert.equal(typeof wrapper.startTLS, "function");
  await wrapper.startTLS!({ hostname: "example.com" });
  assert.deepEqual(transport.calls.at(-1), ["startTLS", {
    hostname: "example.com",
  }]);
});

Deno.test("a wrapper that is not connected says so instead of failing obscurely", () => {
  const wrapper = new ProtocolWrapper(
    new WrappingFactory(Factory.forProtocol(Protocol)),
    new Protocol(),
  );
  assert.throws(() => wrapper.write("x"), /not connected/);
  assert.equal(wrapper.disconnecting, false);
  assert.equal(wrapper.bufferedAmount, 0);
  assert.equal(wrapper.alpnProtocol, null);
});

Deno.test("events reach the wrapped protocol: data, buffer marks, loss (once, connected false)", () => {
  const events: string[] = [];
  class Watcher extends Simple {
    override bufferFull(): void {
      events.push("full");
    }
    override bufferDrained(): void {
      events.push("drained");
    }
  }
  const inner = new Watcher();
  const { wrapper } = wrapped(inner);
  wrapper.dataReceived(b("hello "));
  wrapper.dataReceived(b("world"));
  wrapper.bufferFull();
  wrapper.bufferDrained();
  assert.equal(inner.buffer, "hello world");
  assert.deepEqual(events, ["full", "drained"]);
  const reason = new ConnectionDone();
  wrapper.connectionLost(reason);
  wrapper.connectionLost(new ConnectionAborted());
  assert.deepEqual(inner.lost, [reason]);
  assert.equal(inner.connected, false);
  assert.equal(wrapper.connected, false);
});

Deno.test("buffer hooks are optional on the wrapped protocol", () => {
  const { wrapper } = wrapped(new Protocol());
  wrapper.bufferFull();
  wrapper.bufferDrained();
});

Deno.test("readConnectionLost is defined on the wrapper exactly when the wrapped protocol has one, through stacked wrappers", () => {
  class HalfCloseable extends Simple {
    halfClosed = 0;
    override readConnectionLost(): void {
      this.halfClosed++;
    }
  }
  const plain = wrapped(new Simple()).wrapper;
  assert.equal(plain.readConnectionLost, undefined);
  assert.equal(
    "readConnectionLost" in plain && typeof plain.readConnectionLost,
    "undefined",
  );

  const inner = new HalfCloseable();
  const factory = new WrappingFactory(
    new WrappingFactory(Factory.forProtocol(Protocol)),
  );
  const innerWrapper = new ProtocolWrapper(factory, inner);
  const outer = new ProtocolWrapper(factory, innerWrapper);
  outer.makeConnection(new StringTransport());
  assert.equal(typeof innerWrapper.readConnectionLost, "function");
  assert.equal(typeof outer.readConnectionLost, "function");
  outer.readConnectionLost!();
  assert.equal(inner.halfClosed, 1);

  const outerPlain = new ProtocolWrapper(
    factory,
    new ProtocolWrapper(factory, new Simple()),
  );
  outerPlain.makeConnection(new StringTransport());
  assert.equal(outerPlain.readConnectionLost, undefined);
});

Deno.test("an exception in the wrapped connectionLost still unregisters the wrapper", () => {
  class Throwing extends Protocol {
    override connectionLost(): void {
      throw new Error("boom");
    }
  }
  const factory = new WrappingFactory(Factory.forProtocol(Throwing));
  const wrapper = factory.buildProtocol(ADDR)!;
  wrapper.makeConnection(new StringTransport());
  assert.equal(factory.protocols.size, 1);
  assert.throws(() => wrapper.connectionLost(new ConnectionDone()), /boom/);
  assert.equal(factory.protocols.size, 0);
});

Deno.test("protocols holds the wrappers whose connection is up", () => {
  const factory = new WrappingFactory(Factory.forProtocol(Simple));
  const one = factory.buildProtocol(ADDR)!;
  const two = factory.buildProtocol(ADDR)!;
  assert.equal(factory.protocols.size, 0);
  one.makeConnection(new StringTransport());
  two.makeConnection(new StringTransport());
  assert.deepEqual([...factory.protocols], [one, two]);
  one.connectionLost(new ConnectionDone());
  assert.deepEqual([...factory.protocols], [two]);
});

Deno.test("doStart and doStop reach the wrapped factory's startFactory and stopFactory", () => {
  const events: string[] = [];
  class Inner extends Factory {
    override startFactory(): void {
      events.push("inner start");
    }
    override stopFactory(): void {
      events.push("inner stop");
    }
  }
  class Outer extends WrappingFactory {
    override startFactory(): void {
      events.push("outer start");
    }
    override stopFactory(): void {
      events.push("outer stop");
    }
  }
  const factory = new Outer(new Inner());
  factory.doStart();
  factory.doStart();
  factory.doStop();
  factory.doStop();
  factory.doStop();
  assert.deepEqual(events, [
    "inner start",
    "outer start",
    "inner stop",
    "outer stop",
  ]);
});

Deno.test("client hooks reach the wrapped factory (Twisted vectors); a plain wrapped factory is fine", () => {
  const calls: unknown[][] = [];
  class Inner extends ClientFactory {
    override startedConnecting(connector: Connector): void {
      calls.push(["started", connector]);
    }
    override clientConnectionFailed(connector: Connector, reason: Error): void {
      calls.push(["failed", connector, reason]);
    }
    override clientConnectionLost(
      connector: Connector,
      reason: ConnectionClosed,
    ): void {
      calls.push(["lost", connector, reason]);
    }
  }
  const factory = new WrappingFactory(new Inner());
  const connector = {} as Connector;
  const error = new Error("refused");
  const reason = new ConnectionDone();
  factory.startedConnecting(connector);
  factory.clientConnectionFailed(connector, error);
  factory.clientConnectionLost(connector, reason);
  assert.deepEqual(calls, [
    ["started", connector],
    ["failed", connector, error],
    ["lost", connector, reason],
  ]);
  const plain = new WrappingFactory(Factory.forProtocol(Protocol));
  plain.startedConnecting(connector);
  plain.clientConnectionFailed(connector, error);
  plain.clientConnectionLost(connector, reason);
});

Deno.test("water marks are the wrapped factory's unless set on the wrapper", () => {
  const inner = Factory.forProtocol(Protocol);
  const factory = new WrappingFactory(new WrappingFactory(inner));
  assert.equal(factory.highWaterMark, undefined);
  inner.highWaterMark = 1000;
  inner.lowWaterMark = 10;
  assert.equal(factory.highWaterMark, 1000);
  assert.equal(factory.lowWaterMark, 10);
  factory.highWaterMark = 2000;
  assert.equal(factory.highWaterMark, 2000);
  assert.equal(factory.lowWaterMark, 10);
  factory.highWaterMark = undefined;
  assert.equal(factory.highWaterMark, 1000);
});

Deno.test("in memory: a half-closeable wrapped protocol hears the half-close and replies", () => {
  class Server extends Simple {
    override readConnectionLost(): void {
      this.transport!.write("bye");
      this.transport!.loseConnection();
    }
  }
  class Client extends Simple {
    override connectionMade(): void {
      super.connectionMade();
      this.transport!.write("hi");
      this.transport!.loseWriteConnection();
    }
  }
  const factory = new WrappingFactory(Factory.forProtocol(Server));
  const wrapper = factory.buildProtocol(ADDR)!;
  const client = new Client();
  const pair = connectedPair(wrapper, client);
  pair.flush();
  const server = wrapper.wrappedProtocol as Server;
  assert.equal(server.buffer, "hi");
  assert.equal(client.buffer, "bye");
  assert.ok(server.lost[0] instanceof ConnectionDone);
  assert.ok(client.lost[0] instanceof ConnectionDone);
});

Deno.test("an exception in a wrapped hook is the transport's to handle; counts stay right", () => {
  class Throwing extends Simple {
    override dataReceived(): void {
      throw new Error("bad data");
    }
  }
  const factory = new LimitTotalConnectionsFactory(
    Factory.forProtocol(Throwing),
    {
      connectionLimit: 1,
    },
  );
  const wrapper = factory.buildProtocol(ADDR)!;
  wrapper.makeConnection(new StringTransport());
  assert.equal(factory.connectionCount, 1);
  assert.throws(() => wrapper.dataReceived(b("x")), /bad data/);
  wrapper.connectionLost(new ConnectionAborted());
  assert.equal(factory.connectionCount, 0);
});
