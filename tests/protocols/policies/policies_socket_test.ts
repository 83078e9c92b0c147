// Every policy over real loopback sockets: half-close passes through each
// wrapper and through all of them stacked (Twisted #4700), the real
// addresses show through, an exception aborts only its own connection.

import assert from "node:assert/strict";
import {
  ConnectionAborted,
  ConnectionDone,
  type Factory,
  type Protocol,
} from "../../../mod.ts";
import {
  LimitConnectionsByPeer,
  LimitTotalConnectionsFactory,
  type ProtocolWrapper,
  TimeoutFactory,
  WrappingFactory,
} from "../../../protocols/policies/mod.ts";
import { Clock } from "../../../testing/mod.ts";
import {
  connectTo,
  decoder,
  encoder,
  ListFactory,
  readAll,
  readN,
  Recorder,
  serve,
} from "../../_net.ts";
import { policies } from "./_policies.ts";

class HalfCloseable extends Recorder {
  override readConnectionLost(): void {
    this.events.push("readConnectionLost");
    // Still open for writing: answer with what was received, then close.
    this.transport!.write(`got ${this.text}`);
    this.transport!.loseConnection();
  }
}

class EchoRecorder extends Recorder {
  override dataReceived(data: Uint8Array): void {
    super.dataReceived(data);
    this.transport!.write(data);
  }
}

for (const [name, wrap] of policies()) {
  Deno.test(`${name}: a half-closeable wrapped protocol hears the peer's half-close and replies`, async () => {
    const inner = new ListFactory(() => new HalfCloseable());
    await using port = await serve(wrap(inner));
    const client = await connectTo(port);
    await client.write(encoder.encode("question"));
    await client.closeWrite();
    const reply = decoder.decode(await readAll(client));
    const server = await inner.nth(0);
    assert.equal(reply, "got question");
    assert.ok((await server.lost.promise) instanceof ConnectionDone);
    assert.deepEqual(server.events.filter((e) => e !== "dataReceived"), [
      "connectionMade",
      "readConnectionLost",
      "connectionLost:ConnectionDone",
    ]);
    client.close();
  });

  Deno.test(`${name}: a wrapped protocol without readConnectionLost is closed after its reply is flushed`, async () => {
    const inner = new ListFactory(() => new EchoRecorder());
    await using port = await serve(wrap(inner));
    const client = await connectTo(port);
    await client.write(encoder.encode("echo me"));
    const server = await inner.nth(0);
    await server.waitFor(7);
    await client.closeWrite();
    assert.equal(decoder.decode(await readAll(client)), "echo me");
    assert.ok((await server.lost.promise) instanceof ConnectionDone);
    assert.equal(server.events.includes("readConnectionLost"), false);
    client.close();
  });

  Deno.test(`${name}: getPeer and getHost are the real transport's`, async () => {
    const inner = new ListFactory(() => new Recorder());
    await using port = await serve(wrap(inner));
    const client = await connectTo(port);
    const server = await inner.nth(0);
    await server.made.promise;
    const peer = server.transport!.getPeer() as Deno.NetAddr;
    const host = server.transport!.getHost() as Deno.NetAddr;
    assert.deepEqual(
      { hostname: peer.hostname, port: peer.port },
      { hostname: client.localAddr.hostname, port: client.localAddr.port },
    );
    assert.deepEqual(
      { hostname: host.hostname, port: host.port },
      { hostname: client.remoteAddr.hostname, port: client.remoteAddr.port },
    );
    client.close();
    await server.lost.promise;
  });

  Deno.test(`${name}: an exception in a wrapped hook aborts only that connection`, async () => {
    class Fragile extends EchoRecorder {
      override dataReceived(data: Uint8Array): void {
        if (decoder.decode(data).includes("boom")) throw new Error("boom");
        super.dataReceived(data);
      }
    }
    const errors: unknown[] = [];
    const inner = new ListFactory(() => new Fragile());
    await using port = await serve(wrap(inner), {
      onError: (error) => errors.push(error),
    });
    const good = await connectTo(port);
    const bad = await connectTo(port);
    const goodServer = await inner.nth(0);
    const badServer = await inner.nth(1);
    await goodServer.made.promise;
    await badServer.made.promise;
    await bad.write(encoder.encode("boom"));
    assert.ok((await badServer.lost.promise) instanceof ConnectionAborted);
    assert.equal(errors.length, 1);
    assert.match(String(errors[0]), /boom/);
    await good.write(encoder.encode("still here"));
    assert.equal(decoder.decode(await readN(good, 10)), "still here");
    assert.equal(port.connections, 1);
    good.close();
    bad.close();
    await goodServer.lost.promise;
  });
}

Deno.test("stacked limits: counts come back after an exception aborts a connection", async () => {
  class Fragile extends Recorder {
    override dataReceived(): void {
      throw new Error("boom");
    }
    override connectionLost(
      reason: Parameters<Protocol["connectionLost"]>[0],
    ): void {
      super.connectionLost(reason);
      throw new Error("boom again");
    }
  }
  const inner = new ListFactory(() => new Fragile());
  const total = new LimitTotalConnectionsFactory(inner, { connectionLimit: 1 });
  const byPeer = new LimitConnectionsByPeer(total, {
    maxConnectionsPerPeer: 1,
  });
  const factory = new TimeoutFactory(byPeer, {
    timeout: 1000,
    clock: new Clock(),
  });
  await using port = await serve(factory, { onError: () => {} });
  for (let i = 0; i < 3; i++) {
    const client = await connectTo(port);
    const server = await inner.nth(i);
    await server.made.promise;
    assert.equal(total.connectionCount, 1);
    assert.deepEqual([...byPeer.peerConnections], [["127.0.0.1", 1]]);
    await client.write(encoder.encode("x"));
    await server.lost.promise;
    assert.equal(total.connectionCount, 0);
    assert.equal(byPeer.peerConnections.size, 0);
    assert.equal(factory.protocols.size, 0);
    client.close();
  }
});

Deno.test("a port reads the water marks of the wrapped factory through the wrappers", async () => {
  const inner = new ListFactory(() => new Recorder());
  inner.highWaterMark = 1234;
  inner.lowWaterMark = 123;
  const outer = new WrappingFactory(new WrappingFactory(inner));
  await using port = await serve(outer);
  const client = await connectTo(port);
  const server = await inner.nth(0);
  await server.made.promise;
  assert.equal(server.transport!.highWaterMark, 1234);
  assert.equal(server.transport!.lowWaterMark, 123);
  assert.equal(
    ((server.transport as ProtocolWrapper).transport as ProtocolWrapper)
      .transport!.highWaterMark,
    1234,
  );
  client.close();
  await server.lost.promise;
});

Deno.test("startFactory and stopFactory of the wrapped factory run when a port serves the wrapper", async () => {
  const events: string[] = [];
  class Inner extends ListFactory<Recorder> {
    override startFactory(): void {
      events.push("start");
    }
    override stopFactory(): void {
      events.push("stop");
    }
  }
  const factory: Factory = new WrappingFactory(new Inner(() => new Recorder()));
  const port = await serve(factory);
  assert.deepEqual(events, ["start"]);
  await port.close();
  assert.deepEqual(events, ["start", "stop"]);
});

Deno.test("TimeoutFactory over LimitConnectionsByPeer over a plain factory: the timeout frees the peer's place", async () => {
  const clock = new Clock();
  const inner = new ListFactory(() => new Recorder());
  const byPeer = new LimitConnectionsByPeer(inner, {
    maxConnectionsPerPeer: 1,
  });
  const factory = new TimeoutFactory(byPeer, { timeout: 10_000, clock });
  await using port = await serve(factory);
  const first = await connectTo(port);
  const s1 = await inner.nth(0);
  await s1.made.promise;
  const refused = await connectTo(port);
  assert.equal((await readAll(refused)).length, 0);
  refused.close();
  clock.advance(10_000);
  assert.ok((await s1.lost.promise) instanceof ConnectionDone);
  assert.equal(byPeer.peerConnections.size, 0);
  const second = await connectTo(port);
  const s2 = await inner.nth(1);
  await s2.made.promise;
  assert.equal(inner.built.length, 2);
  first.close();
  second.close();
  await s2.lost.promise;
});
