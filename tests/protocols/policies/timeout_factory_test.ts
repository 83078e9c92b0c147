// TimeoutFactory and TimeoutProtocol on the fake clock, in memory and over
// real sockets. Vectors ported from Twisted's test_policies.py
// (TimeoutFactoryTests, TimeoutProtocolTests; seconds there, ms here).

import assert from "node:assert/strict";
import {
  ConnectionAborted,
  ConnectionDone,
  Factory,
  Protocol,
} from "../../../mod.ts";
import {
  TimeoutFactory,
  TimeoutProtocol,
  WrappingFactory,
} from "../../../protocols/policies/mod.ts";
import { Clock, StringTransport } from "../../../testing/mod.ts";
import {
  connectTo,
  encoder,
  ListFactory,
  pattern,
  readAll,
  Recorder,
  serve,
} from "../../_net.ts";
import {
  ADDR,
  b,
  ClosingTransport,
  RecordingTransport,
  Simple,
} from "./_policies.ts";

function setUp(timeout = 3000): {
  clock: Clock;
  factory: TimeoutFactory;
  proto: TimeoutProtocol;
  transport: ClosingTransport;
  wrapped: Simple;
} {
  const clock = new Clock();
  const factory = new TimeoutFactory(Factory.forProtocol(Simple), {
    timeout,
    clock,
  });
  const proto = factory.buildProtocol(ADDR) as TimeoutProtocol;
  const transport = new ClosingTransport();
  transport.protocol = proto;
  proto.makeConnection(transport);
  return {
    clock,
    factory,
    proto,
    transport,
    wrapped: proto.wrappedProtocol as Simple,
  };
}

Deno.test("TimeoutFactory: an idle connection times out after the period (test_timeout)", () => {
  const { clock, wrapped, transport } = setUp();
  clock.pump([0, 500, 1000, 1000, 400]);
  assert.equal(wrapped.disconnected, false);
  clock.pump([0, 200]);
  assert.equal(wrapped.disconnected, true);
  assert.ok(wrapped.lost[0] instanceof ConnectionDone);
  assert.deepEqual(transport.loseConnectionOptions, { timeout: 3000 });
});

Deno.test("TimeoutFactory: writes reset the countdown (test_sendAvoidsTimeout)", () => {
  const { clock, proto, wrapped } = setUp();
  clock.pump([0, 500, 1000]);
  assert.equal(wrapped.disconnected, false);
  proto.write(b("bytes bytes bytes"));
  clock.pump([0, 1000, 1000]);
  assert.equal(wrapped.disconnected, false);
  proto.writeSequence([b("bytes"), "bytes", b("bytes")]);
  clock.pump([0, 1000, 1000]);
  assert.equal(wrapped.disconnected, false);
  clock.pump([0, 2000]);
  assert.equal(wrapped.disconnected, true);
});

Deno.test("TimeoutFactory: reads reset the countdown (test_receiveAvoidsTimeout)", () => {
  const { clock, proto, wrapped } = setUp();
  clock.pump([0, 1000, 500]);
  assert.equal(wrapped.disconnected, false);
  proto.dataReceived(b("bytes bytes bytes"));
  clock.pump([0, 1000, 1000]);
  assert.equal(wrapped.disconnected, false);
  clock.pump([0, 1000, 1000]);
  assert.equal(wrapped.disconnected, true);
  assert.equal(wrapped.buffer, "bytes bytes bytes");
});

Deno.test("TimeoutFactory: the wrapped protocol's own writes reset the countdown", () => {
  class Ticker extends Simple {
    override dataReceived(data: Uint8Array): void {
      super.dataReceived(data);
      this.transport!.write("ack");
    }
  }
  const clock = new Clock();
  const factory = new TimeoutFactory(Factory.forProtocol(Ticker), {
    timeout: 1000,
    clock,
  });
  const proto = factory.buildProtocol(ADDR)!;
  proto.makeConnection(new StringTransport());
  for (let i = 0; i < 100; i++) {
    clock.advance(999);
    proto.dataReceived(b("x"));
  }
  assert.equal((proto.wrappedProtocol as Ticker).disconnected, false);
});

Deno.test("TimeoutFactory: a half-close resets the countdown too", () => {
  class HalfCloseable extends Simple {
    override readConnectionLost(): void {}
  }
  const clock = new Clock();
  const factory = new TimeoutFactory(Factory.forProtocol(HalfCloseable), {
    timeout: 1000,
    clock,
  });
  const proto = factory.buildProtocol(ADDR)!;
  const transport = new StringTransport();
  proto.makeConnection(transport);
  clock.advance(900);
  proto.readConnectionLost!();
  clock.advance(900);
  assert.equal(transport.disconnecting, false);
  clock.advance(100);
  assert.equal(transport.disconnecting, true);
});

Deno.test("TimeoutProtocol: the timeout fires exactly once, and is cancelled by the loss", () => {
  let fired = 0;
  class Counting extends TimeoutProtocol {
    override timeoutConnection(): void {
      fired++;
    }
  }
  class CountingFactory extends TimeoutFactory {
    override wrapProtocol(protocol: Protocol): TimeoutProtocol {
      return new Counting(this, protocol, {
        timeout: this.timeout,
        clock: this.clock,
      });
    }
  }
  const clock = new Clock();
  const factory = new CountingFactory(Factory.forProtocol(Simple), {
    timeout: 1000,
    clock,
  });
  const proto = factory.buildProtocol(ADDR) as Counting;
  proto.makeConnection(new StringTransport());
  clock.advance(1000);
  assert.equal(fired, 1);
  assert.equal(proto.timeoutActive, false);
  proto.write("late"); // activity after the timeout does not re-arm it
  proto.dataReceived(b("late"));
  clock.advance(10_000);
  assert.equal(fired, 1);

  const other = factory.buildProtocol(ADDR) as Counting;
  other.makeConnection(new StringTransport());
  assert.equal(clock.getDelayedCalls().length, 1);
  other.connectionLost(new ConnectionDone());
  assert.equal(clock.getDelayedCalls().length, 0);
  clock.advance(10_000);
  assert.equal(fired, 1);
});

function bareProtocol(): {
  proto: TimeoutProtocol;
  clock: Clock;
  wrapped: Simple;
} {
  const clock = new Clock();
  const factory = new WrappingFactory(Factory.forProtocol(Simple));
  const wrapped = new Simple();
  const proto = new TimeoutProtocol(factory, wrapped, { timeout: null, clock });
  const transport = new ClosingTransport();
  transport.protocol = proto;
  proto.makeConnection(transport);
  return { proto, clock, wrapped };
}

Deno.test("TimeoutProtocol: cancelTimeout stops the countdown (test_cancelTimeout)", () => {
  const { proto, clock, wrapped } = bareProtocol();
  proto.setTimeout(3000);
  assert.equal(proto.timeoutActive, true);
  assert.equal(proto.timeout, 3000);
  clock.advance(1000);
  proto.cancelTimeout();
  assert.equal(proto.timeoutActive, false);
  assert.equal(proto.timeout, null);
  clock.advance(3000);
  assert.equal(wrapped.disconnected, false);
});

Deno.test("TimeoutProtocol: cancelTimeout without a timeout does nothing (test_cancelTimeoutNoTimeout)", () => {
  const { proto, wrapped, clock } = bareProtocol();
  assert.equal(proto.timeoutActive, false);
  assert.equal(clock.getDelayedCalls().length, 0);
  proto.cancelTimeout();
  assert.equal(wrapped.disconnected, false);
});

Deno.test("TimeoutProtocol: cancelTimeout after the timeout fired does nothing (test_cancelTimeoutAlreadyCalled)", () => {
  const { proto, wrapped, clock } = bareProtocol();
  proto.setTimeout(3000);
  clock.advance(3000);
  assert.equal(wrapped.disconnected, true);
  proto.cancelTimeout();
});

Deno.test("TimeoutProtocol: cancelTimeout after the call was cancelled elsewhere (test_cancelTimeoutAlreadyCancelled)", () => {
  const { proto, wrapped, clock } = bareProtocol();
  proto.setTimeout(3000);
  clock.getDelayedCalls()[0].cancel();
  proto.cancelTimeout();
  assert.equal(wrapped.disconnected, false);
});

Deno.test("TimeoutProtocol: the wrapped protocol can change its own timeout through its transport", () => {
  class Patient extends Simple {
    override connectionMade(): void {
      super.connectionMade();
      (this.transport as TimeoutProtocol).setTimeout(10_000);
    }
  }
  const clock = new Clock();
  const factory = new TimeoutFactory(Factory.forProtocol(Patient), {
    timeout: 1000,
    clock,
  });
  const proto = factory.buildProtocol(ADDR)!;
  const transport = new StringTransport();
  proto.makeConnection(transport);
  clock.advance(9999);
  assert.equal(transport.disconnecting, false);
  clock.advance(1);
  assert.equal(transport.disconnecting, true);
});

Deno.test("TimeoutProtocol: bytes still leaving the buffer are not idleness; a stuck buffer is aborted", () => {
  const clock = new Clock();
  const factory = new TimeoutFactory(Factory.forProtocol(Simple), {
    timeout: 1000,
    clock,
  });
  const proto = factory.buildProtocol(ADDR)!;
  const transport = new RecordingTransport();
  transport.bufferedAmount = 0;
  proto.makeConnection(transport);
  transport.bufferedAmount = 10_000; // one big write...
  proto.write(new Uint8Array(10_000));
  for (const left of [8000, 5000, 1000]) {
    transport.bufferedAmount = left; // ...that a slow reader takes bit by bit
    clock.advance(1000);
    assert.equal(
      transport.calls.some((c) => c[0] === "abortConnection"),
      false,
    );
  }
  clock.advance(1000); // nothing taken for a whole period: stuck
  assert.deepEqual(transport.calls.at(-1), ["abortConnection"]);
});

Deno.test("TimeoutFactory: options are checked; a new timeout applies to new connections", () => {
  const inner = Factory.forProtocol(Protocol);
  assert.throws(() => new TimeoutFactory(inner, { timeout: -1 }), RangeError);
  assert.throws(() => new TimeoutFactory(inner, { timeout: NaN }), RangeError);
  assert.throws(
    () =>
      new TimeoutFactory(inner, undefined as unknown as { timeout: number }),
    TypeError,
  );
  const clock = new Clock();
  const factory = new TimeoutFactory(inner, { timeout: 1000, clock });
  factory.timeout = 5000;
  const proto = factory.buildProtocol(ADDR) as TimeoutProtocol;
  assert.equal(proto.timeout, 5000);
  assert.throws(() => proto.setTimeout(-5), RangeError);
});

Deno.test("over sockets: an idle connection is closed once, cleanly, on the fake clock", async () => {
  const clock = new Clock();
  const inner = new ListFactory(() => new Recorder());
  await using port = await serve(
    new TimeoutFactory(inner, { timeout: 30_000, clock }),
  );
  const client = await connectTo(port);
  const server = await inner.nth(0);
  await server.made.promise;
  clock.advance(29_999);
  assert.equal(server.reason, null);
  clock.advance(1);
  assert.ok((await server.lost.promise) instanceof ConnectionDone);
  assert.equal((await readAll(client)).length, 0);
  assert.equal(
    server.events.filter((e) => e.startsWith("connectionLost")).length,
    1,
  );
  assert.equal(clock.getDelayedCalls().length, 0);
  client.close();
});

Deno.test("over sockets: no timeout while traffic flows; then one", async () => {
  const clock = new Clock();
  const inner = new ListFactory(() => new Recorder());
  await using port = await serve(
    new TimeoutFactory(inner, { timeout: 1000, clock }),
  );
  const client = await connectTo(port);
  const server = await inner.nth(0);
  await server.made.promise;
  for (let i = 1; i <= 20; i++) {
    await client.write(encoder.encode("."));
    await server.waitFor(i);
    clock.advance(900);
  }
  assert.equal(server.reason, null);
  clock.advance(100);
  assert.ok((await server.lost.promise) instanceof ConnectionDone);
  client.close();
});

Deno.test("over sockets: closing cancels the timer", async () => {
  const clock = new Clock();
  const inner = new ListFactory(() => new Recorder());
  await using port = await serve(
    new TimeoutFactory(inner, { timeout: 1000, clock }),
  );
  const client = await connectTo(port);
  const server = await inner.nth(0);
  await server.made.promise;
  assert.equal(clock.getDelayedCalls().length, 1);
  client.close();
  await server.lost.promise;
  assert.equal(clock.getDelayedCalls().length, 0);
  clock.advance(5000);
  assert.equal(
    server.events.filter((e) => e.startsWith("connectionLost")).length,
    1,
  );
});

Deno.test("over sockets: a peer that stops reading is aborted, not waited for", async () => {
  const clock = new Clock();
  class Flood extends Recorder {
    override connectionMade(): void {
      super.connectionMade();
      this.transport!.write(pattern(32 * 1024 * 1024));
    }
  }
  const inner = new ListFactory(() => new Flood());
  await using port = await serve(
    new TimeoutFactory(inner, { timeout: 1000, clock }),
  );
  const client = await connectTo(port);
  const server = await inner.nth(0);
  await server.made.promise;
  // The kernel takes what it can, then nothing more moves: at most a few
  // periods see progress, then the timer aborts.
  let periods = 0;
  while (server.reason === null && periods < 100) {
    clock.advance(1000);
    periods++;
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  assert.ok(
    server.reason instanceof ConnectionAborted,
    `after ${periods} periods`,
  );
  client.close();
});
