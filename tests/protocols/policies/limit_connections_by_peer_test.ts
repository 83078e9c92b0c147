// LimitConnectionsByPeer: counted per host, decremented on loss (Twisted's
// counts under one key and uncounts under another), IPv4-mapped IPv6 as IPv4,
// Unix peers as one.

import assert from "node:assert/strict";
import { ConnectionDone, Factory, listen, Protocol } from "../../../mod.ts";
import { hostKey, peerKey } from "../../../protocols/policies/_peer_key.ts";
import { LimitConnectionsByPeer } from "../../../protocols/policies/mod.ts";
import { StringTransport } from "../../../testing/mod.ts";
import {
  connectTo,
  ListFactory,
  readAll,
  Recorder,
  serve,
} from "../../_net.ts";

const tcp = (hostname: string, port = 1000): Deno.NetAddr => ({
  transport: "tcp",
  hostname,
  port,
});

Deno.test("peer keys: one spelling per host", () => {
  assert.equal(peerKey(tcp("127.0.0.1", 1)), "127.0.0.1");
  assert.equal(peerKey(tcp("::ffff:127.0.0.1")), "127.0.0.1");
  assert.equal(peerKey(tcp("::FFFF:7f00:1")), "127.0.0.1");
  assert.equal(peerKey(tcp("0:0:0:0:0:ffff:c0a8:0101")), "192.168.1.1");
  assert.equal(peerKey(tcp("[::1]")), "::1");
  assert.equal(peerKey(tcp("0:0:0:0:0:0:0:1")), "::1");
  assert.equal(peerKey(tcp("2001:DB8:0:0:0:0:2:1")), "2001:db8::2:1");
  assert.equal(peerKey(tcp("2001:db8:0:1:1:1:1:1")), "2001:db8:0:1:1:1:1:1");
  assert.equal(peerKey(tcp("2001:0:0:1:0:0:0:1")), "2001:0:0:1::1");
  assert.equal(peerKey(tcp("fe80::1%eth0")), "fe80::1%eth0");
  assert.equal(peerKey(tcp("::")), "::");
  assert.equal(peerKey(tcp("Example.COM")), "example.com");
  assert.equal(peerKey({ transport: "unix", path: "/tmp/a" }), "unix");
  assert.equal(peerKey({ transport: "unix", path: "" }), "unix");
  assert.equal(peerKey({ transport: "unixpacket", path: "/x" }), "unix");
  assert.equal(hostKey("not:an:address::at::all"), "not:an:address::at::all");
  assert.equal(hostKey("1:2:3:4:5:6:7:8:9"), "1:2:3:4:5:6:7:8:9");
  assert.equal(hostKey("::ffff:300.1.1.1"), "::ffff:300.1.1.1");
});

Deno.test("LimitConnectionsByPeer: at most 5 per host by default, whatever the port; hosts apart", () => {
  const factory = new LimitConnectionsByPeer(Factory.forProtocol(Protocol));
  assert.equal(factory.maxConnectionsPerPeer, 5);
  for (let i = 0; i < 5; i++) {
    assert.notEqual(factory.buildProtocol(tcp("10.0.0.1", 2000 + i)), null);
  }
  assert.equal(factory.buildProtocol(tcp("10.0.0.1", 3000)), null);
  assert.equal(factory.buildProtocol(tcp("::ffff:10.0.0.1", 3001)), null);
  assert.notEqual(factory.buildProtocol(tcp("10.0.0.2", 3000)), null);
  assert.deepEqual([...factory.peerConnections], [["10.0.0.1", 5], [
    "10.0.0.2",
    1,
  ]]);
});

Deno.test("LimitConnectionsByPeer: a loss frees a place for that host, exactly once (Twisted never does)", () => {
  class Throwing extends Protocol {
    override connectionLost(): void {
      throw new Error("boom");
    }
  }
  const factory = new LimitConnectionsByPeer(Factory.forProtocol(Throwing), {
    maxConnectionsPerPeer: 2,
  });
  const a = factory.buildProtocol(tcp("::ffff:10.0.0.1", 1))!;
  const b = factory.buildProtocol(tcp("10.0.0.1", 2))!;
  assert.equal(factory.buildProtocol(tcp("10.0.0.1", 3)), null);
  a.makeConnection(new StringTransport());
  assert.throws(() => a.connectionLost(new ConnectionDone()), /boom/);
  a.connectionLost(new ConnectionDone());
  assert.deepEqual([...factory.peerConnections], [["10.0.0.1", 1]]);
  const c = factory.buildProtocol(tcp("10.0.0.1", 3));
  assert.notEqual(c, null);
  assert.equal(factory.buildProtocol(tcp("10.0.0.1", 4)), null);
  assert.throws(() => b.connectionLost(new ConnectionDone()), /boom/);
  assert.throws(() => c!.connectionLost(new ConnectionDone()), /boom/);
  assert.equal(factory.peerConnections.size, 0);
});

Deno.test("LimitConnectionsByPeer: Unix peers count as one; a refusal by the wrapped factory is not counted", () => {
  let refuse = false;
  class Picky extends Factory {
    override buildProtocol(): Protocol | null {
      return refuse ? null : new Protocol();
    }
  }
  const factory = new LimitConnectionsByPeer(new Picky(), {
    maxConnectionsPerPeer: 2,
  });
  assert.notEqual(factory.buildProtocol({ transport: "unix", path: "" }), null);
  assert.notEqual(
    factory.buildProtocol({ transport: "unix", path: "/b" }),
    null,
  );
  assert.equal(factory.buildProtocol({ transport: "unix", path: "/c" }), null);
  refuse = true;
  assert.equal(factory.buildProtocol(tcp("10.9.9.9")), null);
  assert.equal(factory.peerConnections.get("10.9.9.9"), undefined);
  assert.throws(
    () =>
      new LimitConnectionsByPeer(new Picky(), { maxConnectionsPerPeer: -1 }),
    RangeError,
  );
});

Deno.test("over sockets: the (N+1)th connection from one host is closed at once, accepted after one closes", async () => {
  const inner = new ListFactory(() => new Recorder());
  const factory = new LimitConnectionsByPeer(inner, {
    maxConnectionsPerPeer: 2,
  });
  await using port = await serve(factory);
  const c1 = await connectTo(port);
  const c2 = await connectTo(port);
  const s1 = await inner.nth(0);
  const s2 = await inner.nth(1);
  await s1.made.promise;
  await s2.made.promise;
  const c3 = await connectTo(port);
  assert.equal((await readAll(c3)).length, 0);
  c3.close();
  assert.equal(inner.built.length, 2);
  assert.deepEqual([...factory.peerConnections], [["127.0.0.1", 2]]);
  c2.close();
  await s2.lost.promise;
  assert.deepEqual([...factory.peerConnections], [["127.0.0.1", 1]]);
  const c4 = await connectTo(port);
  const s4 = await inner.nth(2);
  await s4.made.promise;
  c1.close();
  c4.close();
  await s1.lost.promise;
  await s4.lost.promise;
  assert.equal(factory.peerConnections.size, 0);
});

Deno.test("over sockets: an IPv4 client of a dual-stack port counts under its IPv4 address", async () => {
  const inner = new ListFactory(() => new Recorder());
  const factory = new LimitConnectionsByPeer(inner, {
    maxConnectionsPerPeer: 1,
  });
  await using port = await listen("tcp6:0:interface=\\:\\:", factory);
  const portNumber = (port.addr as Deno.NetAddr).port;
  const c1 = await Deno.connect({ hostname: "127.0.0.1", port: portNumber });
  const s1 = await inner.nth(0);
  await s1.made.promise;
  assert.equal(
    (s1.transport!.getPeer() as Deno.NetAddr).hostname,
    "::ffff:127.0.0.1",
  );
  assert.deepEqual([...factory.peerConnections], [["127.0.0.1", 1]]);
  const c2 = await Deno.connect({ hostname: "127.0.0.1", port: portNumber });
  assert.equal((await readAll(c2)).length, 0);
  c2.close();
  c1.close();
  await s1.lost.promise;
  assert.equal(factory.peerConnections.size, 0);
});

Deno.test("over sockets: Unix-socket peers share one count", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/policy.sock`;
  try {
    const inner = new ListFactory(() => new Recorder());
    const factory = new LimitConnectionsByPeer(inner, {
      maxConnectionsPerPeer: 1,
    });
    await using _port = await listen(`unix:${path}`, factory);
    const c1 = await Deno.connect({ transport: "unix", path });
    const s1 = await inner.nth(0);
    await s1.made.promise;
    assert.deepEqual([...factory.peerConnections], [["unix", 1]]);
    const c2 = await Deno.connect({ transport: "unix", path });
    assert.equal((await readAll(c2)).length, 0);
    c2.close();
    c1.close();
    await s1.lost.promise;
    assert.equal(factory.peerConnections.size, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
