// listen() and ListeningPort over real loopback sockets.

import assert from "node:assert/strict";
import {
  ConnectionAborted,
  ConnectionDone,
  Factory,
  listen,
  Protocol,
  serveListener,
  serverFromString,
  TCPServerEndpoint,
} from "../../mod.ts";
import { Clock } from "../../testing/mod.ts";
import {
  connectTo,
  decoder,
  encoder,
  ListFactory,
  pattern,
  portOf,
  readAll,
  readN,
  Recorder,
  serve,
} from "../_net.ts";

class Echo extends Recorder {
  override dataReceived(data: Uint8Array): void {
    super.dataReceived(data);
    this.transport!.write(data);
  }
}

async function echoRoundTrip(conn: Deno.Conn, text: string): Promise<string> {
  await conn.write(encoder.encode(text));
  return decoder.decode(await readN(conn, encoder.encode(text).length));
}

Deno.test("listen on port 0 reports the real address, description and connection count", async () => {
  const seen: Deno.Addr[] = [];
  const factory = new ListFactory(() => new Echo());
  const port = await listen("tcp:0:interface=127.0.0.1", factory, {
    onListen: (addr) => seen.push(addr),
  });
  const addr = port.addr as Deno.NetAddr;
  assert.ok(addr.port > 0);
  assert.equal(addr.hostname, "127.0.0.1");
  assert.deepEqual(port.getHost(), port.addr);
  assert.deepEqual(seen, [port.addr]);
  assert.equal(port.description, `tcp:${addr.port}:interface=127.0.0.1`);
  assert.equal(port.connections, 0);
  const a = await connectTo(port);
  const b = await connectTo(port);
  assert.equal(await echoRoundTrip(a, "a"), "a");
  assert.equal(await echoRoundTrip(b, "b"), "b");
  assert.equal(port.connections, 2);
  assert.equal(port.metrics.connectionsOpen, 2);
  a.close();
  await (await factory.nth(0)).lost.promise;
  b.close();
  await port.close();
  assert.equal(port.connections, 0);
  assert.deepEqual(port.metrics, {
    connectionsOpen: 0,
    connectionsTotal: 2,
    bytesReceived: 2,
    bytesSent: 2,
    errors: 0,
  });
});

Deno.test("buildProtocol returning null refuses the connection; others are served", async () => {
  let count = 0;
  const factory = new ListFactory(() => (count++ === 0 ? null : new Echo()));
  await using port = await serve(factory);
  const refused = await connectTo(port);
  assert.equal((await readAll(refused)).length, 0);
  refused.close();
  const served = await connectTo(port);
  assert.equal(await echoRoundTrip(served, "still here"), "still here");
  served.close();
  assert.equal(factory.built.length, 1);
});

Deno.test("an exception in dataReceived aborts only its connection and is reported once", async () => {
  const errors: [unknown, Protocol | undefined][] = [];
  class Fragile extends Echo {
    override dataReceived(data: Uint8Array): void {
      if (decoder.decode(data).includes("boom")) throw new Error("boom");
      super.dataReceived(data);
    }
  }
  const factory = new ListFactory(() => new Fragile());
  await using port = await serve(factory, {
    onError: (e, p) => errors.push([e, p]),
  });
  const good = await connectTo(port);
  const bad = await connectTo(port);
  assert.equal(await echoRoundTrip(good, "ok"), "ok");
  await bad.write(encoder.encode("boom"));
  const badServer = await factory.nth(1);
  const reason = await badServer.lost.promise;
  assert.ok(reason instanceof ConnectionAborted);
  assert.equal((reason.cause as Error).message, "boom");
  assert.equal((await readAll(bad)).length, 0);
  bad.close();
  assert.equal(errors.length, 1);
  assert.equal((errors[0][0] as Error).message, "boom");
  assert.equal(errors[0][1], badServer);
  assert.equal(port.metrics.errors, 1);
  // The other connection and the listener are untouched.
  assert.equal(await echoRoundTrip(good, "still ok"), "still ok");
  const fresh = await connectTo(port);
  assert.equal(await echoRoundTrip(fresh, "new"), "new");
  good.close();
  fresh.close();
});

Deno.test("an exception in connectionMade or buildProtocol closes that connection only", async () => {
  const errors: unknown[] = [];
  let n = 0;
  class Grumpy extends Recorder {
    override connectionMade(): void {
      super.connectionMade();
      throw new Error("no greeting");
    }
  }
  const factory = new ListFactory<Protocol>(() => {
    n++;
    if (n === 1) throw new Error("cannot build");
    if (n === 2) return new Grumpy();
    return new Echo();
  });
  await using port = await serve(factory, { onError: (e) => errors.push(e) });
  const first = await connectTo(port);
  assert.equal((await readAll(first)).length, 0);
  first.close();
  const second = await connectTo(port);
  assert.equal((await readAll(second)).length, 0);
  second.close();
  const third = await connectTo(port);
  assert.equal(await echoRoundTrip(third, "fine"), "fine");
  third.close();
  assert.deepEqual(errors.map((e) => (e as Error).message), [
    "cannot build",
    "no greeting",
  ]);
  const grumpy = (await factory.nth(0)) as Recorder;
  assert.ok((await grumpy.lost.promise) instanceof ConnectionAborted);
});

Deno.test("stopListening refuses new connections and leaves open ones working", async () => {
  const factory = new ListFactory(() => new Echo());
  const port = await serve(factory);
  const open = await connectTo(port);
  assert.equal(await echoRoundTrip(open, "before"), "before");
  await port.stopListening();
  await assert.rejects(connectTo(port), Deno.errors.ConnectionRefused);
  assert.equal(await echoRoundTrip(open, "after"), "after");
  assert.equal(port.connections, 1);
  open.close();
  await port.finished;
  assert.equal(port.connections, 0);
});

Deno.test("close({ timeout }) returns on time while a peer never reads", async () => {
  const clock = new Clock();
  class Flood extends Recorder {
    override connectionMade(): void {
      super.connectionMade();
      this.transport!.write(pattern(32 * 1024 * 1024));
    }
  }
  const factory = new ListFactory(() => new Flood());
  const port = await serve(factory, { clock });
  const stuck = await connectTo(port);
  const server = await factory.nth(0);
  await server.made.promise;
  let closed = false;
  const closing = port.close({ timeout: 3000 }).then(() => closed = true);
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(closed, false);
  clock.advance(3000);
  await closing;
  assert.ok(server.reason instanceof ConnectionAborted);
  stuck.close();
});

Deno.test("close() lets connections flush what they wrote, then ConnectionDone", async () => {
  const factory = new ListFactory(() => new Echo());
  const port = await serve(factory);
  const client = await connectTo(port);
  assert.equal(await echoRoundTrip(client, "x"), "x");
  const server = await factory.nth(0);
  server.transport!.write(pattern(1024 * 1024));
  const reading = readAll(client);
  const closing = port.close();
  assert.equal((await reading).length, 1024 * 1024);
  client.close();
  await closing;
  assert.ok(server.reason instanceof ConnectionDone);
});

Deno.test("aborting the signal closes the listener and its connections", async () => {
  const controller = new AbortController();
  const factory = new ListFactory(() => new Echo());
  const port = await serve(factory, { signal: controller.signal });
  const client = await connectTo(port);
  assert.equal(await echoRoundTrip(client, "hi"), "hi");
  controller.abort();
  assert.equal((await readAll(client)).length, 0);
  client.close();
  await port.finished;
  await assert.rejects(connectTo(port), Deno.errors.ConnectionRefused);
  await assert.rejects(
    listen("tcp:0:interface=127.0.0.1", factory, { signal: controller.signal }),
  );
});

Deno.test("startFactory runs at the first listen and stopFactory after the last stop", async () => {
  const calls: string[] = [];
  class Tracked extends Factory {
    override protocol = Protocol;
    override startFactory(): void {
      calls.push("start");
    }
    override stopFactory(): void {
      calls.push("stop");
    }
  }
  const factory = new Tracked();
  const a = await serve(factory);
  const b = await serve(factory);
  assert.deepEqual(calls, ["start"]);
  await a.close();
  assert.deepEqual(calls, ["start"]);
  await b.close();
  assert.deepEqual(calls, ["start", "stop"]);
});

Deno.test("the accept loop survives accept errors by backing off and retrying", async () => {
  const clock = new Clock();
  const errors: unknown[] = [];
  const real = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let failures = 2;
  const flaky = new Proxy(real, {
    get(target, key) {
      if (key === "accept") {
        return () => {
          if (failures-- > 0) {
            return Promise.reject(new Error("EMFILE: too many open files"));
          }
          return target.accept();
        };
      }
      const value = Reflect.get(target, key);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  const factory = new ListFactory(() => new Echo());
  const port = serveListener(flaky, factory, {
    clock,
    onError: (e) => errors.push(e),
  });
  const client = await Deno.connect({
    hostname: "127.0.0.1",
    port: portOf(port),
  });
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(errors.length, 1);
  clock.advance(5); // first back-off
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(errors.length, 2);
  clock.advance(10); // doubled
  assert.equal(await echoRoundTrip(client, "served"), "served");
  assert.equal(port.metrics.errors, 2);
  client.close();
  await port.close();
});

Deno.test("Symbol.asyncDispose closes the port", async () => {
  let portNumber: number;
  {
    await using port = await serve(Factory.forProtocol(Protocol));
    portNumber = portOf(port);
  }
  await assert.rejects(
    Deno.connect({ hostname: "127.0.0.1", port: portNumber }),
    Deno.errors.ConnectionRefused,
  );
});

Deno.test("a port in use is an AddrInUse error", async () => {
  await using port = await serve(Factory.forProtocol(Protocol));
  await assert.rejects(
    listen(
      `tcp:${portOf(port)}:interface=127.0.0.1`,
      Factory.forProtocol(Protocol),
    ),
    Deno.errors.AddrInUse,
  );
});

Deno.test("serverFromString parses tcp descriptions and names the bad part", () => {
  const endpoint = serverFromString("tcp:8007:interface=127.0.0.1:backlog=50");
  assert.ok(endpoint instanceof TCPServerEndpoint);
  assert.deepEqual(
    { ...endpoint.options, description: undefined },
    {
      port: 8007,
      hostname: "127.0.0.1",
      ipv6: false,
      backlog: 50,
      description: undefined,
    },
  );
  const keyed = serverFromString(
    "tcp:port=0:interface=127.0.0.1",
  ) as TCPServerEndpoint;
  assert.equal(keyed.options.port, 0);
  const six = serverFromString("tcp6:0:interface=\\:\\:1") as TCPServerEndpoint;
  assert.equal(six.options.hostname, "::1");
  assert.equal(six.options.ipv6, true);
  const bad: [string, RegExp][] = [
    ["", /Invalid endpoint description/],
    ["tcp", /Invalid port.*\(missing\)/],
    ["tcp:http", /Invalid port in endpoint description: http/],
    ["tcp:70000", /Invalid port.*70000/],
    ["tcp:-1", /Invalid port.*-1/],
    ["tcp:80:colour=red", /Unknown option.*colour/],
    ["tcp:80:backlog=lots", /Invalid backlog.*lots/],
    ["tcp:80:81", /Unexpected argument.*81/],
    ["tcp:80:interface=a:interface=b", /Duplicate option.*interface/],
    ["carrier-pigeon:80", /Unknown endpoint type.*carrier-pigeon/],
  ];
  for (const [description, message] of bad) {
    assert.throws(() => serverFromString(description), (error: Error) => {
      assert.ok(error instanceof TypeError, `${description}: ${error}`);
      assert.match(error.message, message);
      return true;
    });
  }
  assert.throws(() => new TCPServerEndpoint({ port: 65536 }), RangeError);
});

Deno.test("a description with port 0 is reported with the real port, as written otherwise", async () => {
  const factory = Factory.forProtocol(Protocol);
  const a = await listen("tcp:port=0:interface=127.0.0.1", factory);
  assert.equal(a.description, `tcp:port=${portOf(a)}:interface=127.0.0.1`);
  const b = await listen(
    new TCPServerEndpoint({ port: 0, hostname: "127.0.0.1" }),
    factory,
  );
  assert.equal(b.description, `tcp:${portOf(b)}:interface=127.0.0.1`);
  await a.close();
  await b.close();
});

Deno.test("tcp6 listens on ::1", async () => {
  const factory = new ListFactory(() => new Echo());
  await using port = await listen("tcp6:0:interface=\\:\\:1", factory);
  assert.equal((port.addr as Deno.NetAddr).hostname, "::1");
  const client = await Deno.connect({ hostname: "::1", port: portOf(port) });
  assert.equal(await echoRoundTrip(client, "v6"), "v6");
  client.close();
});

Deno.test("Factory.forProtocol builds protocols that know their factory; no protocol is a TypeError", () => {
  const factory = Factory.forProtocol(Echo);
  const addr: Deno.Addr = { transport: "tcp", hostname: "127.0.0.1", port: 1 };
  const protocol = factory.buildProtocol(addr)!;
  assert.ok(protocol instanceof Echo);
  assert.equal(protocol.factory, factory);
  assert.throws(() => new Factory().buildProtocol(addr), TypeError);
});

Deno.test("a peer that resets before it is accepted is neither an error nor a reason to back off", async () => {
  const errors: unknown[] = [];
  const real = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let resets = 3;
  const resetting = new Proxy(real, {
    get(target, key) {
      if (key === "accept") {
        return () =>
          resets-- > 0
            ? Promise.reject(
              new Deno.errors.NotConnected("Socket is not connected"),
            )
            : target.accept();
      }
      const value = Reflect.get(target, key);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  // No clock is advanced: a back-off would hang this test.
  const port = serveListener(resetting, new ListFactory(() => new Echo()), {
    clock: new Clock(),
    onError: (e) => errors.push(e),
  });
  const client = await Deno.connect({
    hostname: "127.0.0.1",
    port: portOf(port),
  });
  assert.equal(await echoRoundTrip(client, "fine"), "fine");
  assert.deepEqual(errors, []);
  assert.equal(port.metrics.errors, 0);
  client.close();
  await port.close();
});
