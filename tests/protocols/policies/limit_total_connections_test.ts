// LimitTotalConnectionsFactory; vectors ported from Twisted's
// test_policies.py (LimitTotalConnectionsFactoryTests, ThrottlingTests.test_limit).

import assert from "node:assert/strict";
import { ConnectionDone, Factory, Protocol } from "../../../mod.ts";
import { LimitTotalConnectionsFactory } from "../../../protocols/policies/mod.ts";
import { StringTransport } from "../../../testing/mod.ts";
import {
  connectTo,
  decoder,
  ListFactory,
  readAll,
  Recorder,
  serve,
} from "../../_net.ts";
import { ADDR } from "./_policies.ts";

Deno.test("LimitTotalConnectionsFactory: counts connections from build to loss (testConnectionCounting)", () => {
  const factory = new LimitTotalConnectionsFactory(
    Factory.forProtocol(Protocol),
  );
  assert.equal(factory.connectionCount, 0);
  assert.equal(factory.connectionLimit, null);
  const p1 = factory.buildProtocol(ADDR)!;
  assert.equal(factory.connectionCount, 1);
  const p2 = factory.buildProtocol(ADDR)!;
  assert.equal(factory.connectionCount, 2);
  p1.connectionLost(new ConnectionDone());
  assert.equal(factory.connectionCount, 1);
  p2.connectionLost(new ConnectionDone());
  assert.equal(factory.connectionCount, 0);
});

Deno.test("LimitTotalConnectionsFactory: refuses past the limit, or serves the overflow protocol (testConnectionLimiting)", () => {
  const factory = new LimitTotalConnectionsFactory(
    Factory.forProtocol(Protocol),
  );
  factory.connectionLimit = 1;
  const p = factory.buildProtocol(ADDR);
  assert.notEqual(p, null);
  assert.equal(factory.connectionCount, 1);
  assert.equal(factory.buildProtocol(ADDR), null);
  assert.equal(factory.connectionCount, 1);

  let overflowed = false;
  class Overflow extends Protocol {
    override connectionMade(): void {
      overflowed = true;
    }
  }
  factory.overflowProtocol = Overflow;
  const op = factory.buildProtocol(ADDR)!;
  assert.ok(op.wrappedProtocol instanceof Overflow);
  assert.equal(op.wrappedProtocol.factory, factory);
  op.makeConnection(new StringTransport());
  assert.equal(overflowed, true);
  assert.equal(factory.connectionCount, 2); // overflow connections count too

  p!.connectionLost(new ConnectionDone());
  assert.equal(factory.connectionCount, 1);
  op.connectionLost(new ConnectionDone());
  assert.equal(factory.connectionCount, 0);
});

Deno.test("LimitTotalConnectionsFactory: a loss counts once, even twice reported or when the hook throws", () => {
  class Throwing extends Protocol {
    override connectionLost(): void {
      throw new Error("boom");
    }
  }
  const factory = new LimitTotalConnectionsFactory(
    Factory.forProtocol(Throwing),
    {
      connectionLimit: 2,
    },
  );
  const a = factory.buildProtocol(ADDR)!;
  factory.buildProtocol(ADDR)!;
  a.makeConnection(new StringTransport());
  assert.throws(() => a.connectionLost(new ConnectionDone()), /boom/);
  a.connectionLost(new ConnectionDone());
  assert.equal(factory.connectionCount, 1);
});

Deno.test("LimitTotalConnectionsFactory: a connection the wrapped factory refuses is not counted", () => {
  let refuse = true;
  class Picky extends Factory {
    override buildProtocol(): Protocol | null {
      return refuse ? null : new Protocol();
    }
  }
  const factory = new LimitTotalConnectionsFactory(new Picky(), {
    connectionLimit: 1,
  });
  assert.equal(factory.buildProtocol(ADDR), null);
  assert.equal(factory.connectionCount, 0);
  refuse = false;
  assert.notEqual(factory.buildProtocol(ADDR), null);
  assert.equal(factory.connectionCount, 1);
});

Deno.test("LimitTotalConnectionsFactory: a limit of 0 refuses everything; bad limits are refused", () => {
  const inner = Factory.forProtocol(Protocol);
  const factory = new LimitTotalConnectionsFactory(inner, {
    connectionLimit: 0,
  });
  assert.equal(factory.buildProtocol(ADDR), null);
  assert.throws(
    () => new LimitTotalConnectionsFactory(inner, { connectionLimit: -1 }),
    RangeError,
  );
  assert.throws(
    () => new LimitTotalConnectionsFactory(inner, { connectionLimit: NaN }),
    RangeError,
  );
});

Deno.test("over sockets: the (N+1)th connection is closed at once, and accepted again after one closes", async () => {
  const inner = new ListFactory(() => new Recorder());
  const factory = new LimitTotalConnectionsFactory(inner, {
    connectionLimit: 2,
  });
  await using port = await serve(factory);
  const c1 = await connectTo(port);
  const c2 = await connectTo(port);
  const s1 = await inner.nth(0);
  const s2 = await inner.nth(1);
  await s1.made.promise;
  await s2.made.promise;
  assert.equal(factory.connectionCount, 2);

  const c3 = await connectTo(port);
  assert.equal((await readAll(c3)).length, 0); // closed by the server at once
  c3.close();
  assert.equal(inner.built.length, 2);
  assert.equal(factory.connectionCount, 2);

  c1.close();
  await s1.lost.promise;
  assert.equal(factory.connectionCount, 1);
  const c4 = await connectTo(port);
  const s4 = await inner.nth(2);
  await s4.made.promise;
  assert.equal(factory.connectionCount, 2);
  c2.close();
  c4.close();
  await s2.lost.promise;
  await s4.lost.promise;
  assert.equal(factory.connectionCount, 0);
});

Deno.test("over sockets: connections past the limit are served the overflow protocol", async () => {
  class Busy extends Protocol {
    override connectionMade(): void {
      this.transport!.write("421 too busy\r\n");
      this.transport!.loseConnection();
    }
  }
  const inner = new ListFactory(() => new Recorder());
  const factory = new LimitTotalConnectionsFactory(inner, {
    connectionLimit: 1,
    overflowProtocol: Busy,
  });
  await using port = await serve(factory);
  const c1 = await connectTo(port);
  const s1 = await inner.nth(0);
  await s1.made.promise;
  for (let i = 0; i < 3; i++) {
    const extra = await connectTo(port);
    assert.equal(decoder.decode(await readAll(extra)), "421 too busy\r\n");
    extra.close();
  }
  assert.equal(inner.built.length, 1);
  c1.close();
  await s1.lost.promise;
});
