// The transport over real loopback sockets: every method and lifecycle edge.

import assert from "node:assert/strict";
import {
  ConnectionAborted,
  ConnectionDone,
  ConnectionLost,
  ConnTransport,
  Factory,
  type Producer,
  Protocol,
} from "../../mod.ts";
import { Clock } from "../../testing/mod.ts";
import {
  concat,
  connectTo,
  decoder,
  encoder,
  ListFactory,
  pattern,
  readAll,
  readN,
  Recorder,
  serve,
} from "../_net.ts";

Deno.test("hooks run in order: connectionMade, dataReceived, connectionLost(ConnectionDone)", async () => {
  const factory = new ListFactory(() => new Recorder());
  await using port = await serve(factory);
  const client = await connectTo(port);
  const server = await factory.nth(0);
  await server.made.promise;
  assert.equal(server.connected, true);
  await client.write(encoder.encode("hello"));
  await server.waitFor(5);
  client.close();
  const reason = await server.lost.promise;
  assert.ok(reason instanceof ConnectionDone);
  assert.equal(server.connected, false);
  assert.equal(server.events[0], "connectionMade");
  assert.equal(server.events.at(-1), "connectionLost:ConnectionDone");
  assert.ok(server.events.slice(1, -1).every((e) => e === "dataReceived"));
  assert.equal(server.text, "hello");
});

Deno.test("write and writeSequence send bytes and UTF-8 strings in order", async () => {
  class Writer extends Protocol {
    override connectionMade(): void {
      this.transport!.write("héllo ");
      this.transport!.write(encoder.encode("bytes "));
      this.transport!.writeSequence(["a", encoder.encode("b"), "c"]);
      this.transport!.write("");
      this.transport!.loseConnection();
    }
  }
  await using port = await serve(Factory.forProtocol(Writer));
  const client = await connectTo(port);
  assert.equal(decoder.decode(await readAll(client)), "héllo bytes abc");
  client.close();
});

Deno.test("writes made in one tick leave as one write to the socket", async () => {
  const writes: number[] = [];
  const { promise: done, resolve } = Promise.withResolvers<void>();
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const client = await Deno.connect({
    hostname: "127.0.0.1",
    port: (listener.addr as Deno.NetAddr).port,
  });
  const accepted = await listener.accept();
  const counting = new Proxy(accepted, {
    get(target, key) {
      if (key === "write") {
        return (chunk: Uint8Array) => {
          writes.push(chunk.length);
          return target.write(chunk);
        };
      }
      const value = Reflect.get(target, key);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  class Chatty extends Protocol {
    override connectionMade(): void {
      for (let i = 0; i < 100; i++) this.transport!.write(`line ${i}\n`);
      this.transport!.loseConnection();
    }
    override connectionLost(): void {
      resolve();
    }
  }
  const transport = new ConnTransport(counting, new Chatty());
  transport.start();
  const received = decoder.decode(await readAll(client));
  client.close();
  await done;
  await transport.closed;
  assert.equal(received.split("\n").length, 101);
  assert.deepEqual(writes, [received.length]);
  listener.close();
});

Deno.test("an 8 MiB write followed by loseConnection arrives whole", async () => {
  const payload = pattern(8 * 1024 * 1024);
  class Big extends Protocol {
    override connectionMade(): void {
      this.transport!.write(payload);
      assert.ok(this.transport!.bufferedAmount >= payload.length);
      this.transport!.loseConnection();
      assert.equal(this.transport!.disconnecting, true);
    }
  }
  const factory = new ListFactory(() => new Big());
  await using port = await serve(factory);
  const client = await connectTo(port);
  const received = await readAll(client);
  assert.equal(received.length, payload.length);
  assert.deepEqual(received, payload);
  client.close();
});

Deno.test("abortConnection drops what is buffered and reports ConnectionAborted", async () => {
  const payload = pattern(8 * 1024 * 1024);
  class Aborter extends Recorder {
    override connectionMade(): void {
      super.connectionMade();
      this.transport!.write(payload);
      this.transport!.abortConnection();
      this.transport!.write("ignored after abort");
    }
  }
  const factory = new ListFactory(() => new Aborter());
  await using port = await serve(factory);
  const client = await connectTo(port);
  const received = await readAll(client);
  const server = await factory.nth(0);
  const reason = await server.lost.promise;
  assert.ok(reason instanceof ConnectionAborted);
  assert.ok(reason instanceof ConnectionLost);
  assert.ok(received.length < payload.length, `received ${received.length}`);
  assert.equal(server.transport!.bufferedAmount, 0);
  client.close();
});

Deno.test("loseWriteConnection half-closes: the peer sees end-of-stream and can still send", async () => {
  class HalfCloser extends Recorder {
    override connectionMade(): void {
      super.connectionMade();
      this.transport!.write("bye");
      this.transport!.loseWriteConnection();
    }
    override dataReceived(data: Uint8Array): void {
      super.dataReceived(data);
      this.transport!.write("not sent: write side is shut");
    }
    override readConnectionLost(): void {
      this.events.push("readConnectionLost");
    }
  }
  const factory = new ListFactory(() => new HalfCloser());
  await using port = await serve(factory);
  const client = await connectTo(port);
  assert.equal(decoder.decode(await readAll(client)), "bye");
  await client.write(encoder.encode("still talking"));
  const server = await factory.nth(0);
  await server.waitFor(13);
  assert.equal(server.text, "still talking");
  await client.closeWrite();
  const reason = await server.lost.promise;
  assert.ok(reason instanceof ConnectionDone);
  assert.deepEqual(server.events.filter((e) => e !== "dataReceived"), [
    "connectionMade",
    "readConnectionLost",
    "connectionLost:ConnectionDone",
  ]);
  client.close();
});

Deno.test("peer half-close calls readConnectionLost and the protocol decides when to close", async () => {
  class Summer extends Recorder {
    override readConnectionLost(): void {
      this.events.push("readConnectionLost");
      this.transport!.write(`got ${this.receivedBytes} bytes`);
      this.transport!.loseConnection();
    }
  }
  const factory = new ListFactory(() => new Summer());
  await using port = await serve(factory);
  const client = await connectTo(port);
  await client.write(encoder.encode("0123456789"));
  await client.closeWrite();
  assert.equal(decoder.decode(await readAll(client)), "got 10 bytes");
  const server = await factory.nth(0);
  assert.ok((await server.lost.promise) instanceof ConnectionDone);
  client.close();
});

Deno.test("peer half-close without readConnectionLost: replies are flushed, then ConnectionDone", async () => {
  class Echo extends Recorder {
    override dataReceived(data: Uint8Array): void {
      super.dataReceived(data);
      this.transport!.write(data);
    }
  }
  const factory = new ListFactory(() => new Echo());
  await using port = await serve(factory);
  const client = await connectTo(port);
  const request = pattern(300_000, 7);
  await client.write(request);
  await client.closeWrite();
  const reply = await readAll(client);
  assert.deepEqual(reply, request);
  const server = await factory.nth(0);
  assert.ok((await server.lost.promise) instanceof ConnectionDone);
  client.close();
});

Deno.test("a peer reset is reported as ConnectionLost", async () => {
  class Flooder extends Recorder {
    override connectionMade(): void {
      super.connectionMade();
      this.transport!.write(pattern(4 * 1024 * 1024));
    }
  }
  const factory = new ListFactory(() => new Flooder());
  await using port = await serve(factory);
  const client = await connectTo(port);
  const server = await factory.nth(0);
  await server.made.promise;
  await readN(client, 1); // unread data left behind makes close() send a reset
  client.close();
  const reason = await server.lost.promise;
  assert.ok(reason instanceof ConnectionLost, reason.name);
  assert.ok(!(reason instanceof ConnectionAborted));
  assert.ok(reason.cause !== undefined);
});

Deno.test("getPeer and getHost are the two ends of the socket", async () => {
  const factory = new ListFactory(() => new Recorder());
  await using port = await serve(factory);
  const client = await connectTo(port);
  const server = await factory.nth(0);
  await server.made.promise;
  const peer = server.transport!.getPeer() as Deno.NetAddr;
  const host = server.transport!.getHost() as Deno.NetAddr;
  assert.deepEqual(peer, client.localAddr);
  assert.deepEqual(host, client.remoteAddr);
  assert.equal(server.transport!.alpnProtocol, null);
  server.transport!.setTcpNoDelay(false);
  server.transport!.setTcpNoDelay(true);
  server.transport!.setTcpKeepAlive(true);
  client.close();
  await server.lost.promise;
  server.transport!.setTcpKeepAlive(false); // closed: a no-op, not a throw
});

Deno.test("pauseProducing holds delivery until resumeProducing, in order", async () => {
  const factory = new ListFactory(() => new Recorder());
  await using port = await serve(factory);
  const client = await connectTo(port);
  const server = await factory.nth(0);
  await server.made.promise;
  await client.write(encoder.encode("first"));
  await server.waitFor(5);
  server.transport!.pauseProducing();
  const second = pattern(1024 * 1024, 3);
  const writing = client.write(second).then(async (n) => {
    let sent = n;
    while (sent < second.length) {
      sent += await client.write(second.subarray(sent));
    }
  });
  // Give a wrongly delivered chunk the chance to show: nothing may arrive.
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(server.receivedBytes, 5);
  server.transport!.resumeProducing();
  await writing;
  await server.waitFor(5 + second.length);
  assert.deepEqual(concat(server.received).subarray(5), second);
  client.close();
  await server.lost.promise;
});

Deno.test("stopProducing stops reading and closes", async () => {
  const factory = new ListFactory(() => new Recorder());
  await using port = await serve(factory);
  const client = await connectTo(port);
  const server = await factory.nth(0);
  await server.made.promise;
  server.transport!.stopProducing();
  assert.equal(server.transport!.disconnecting, true);
  assert.ok((await server.lost.promise) instanceof ConnectionDone);
  assert.equal((await readAll(client)).length, 0);
  client.close();
});

Deno.test("loseConnection({ timeout }) aborts a peer that does not read, on the clock", async () => {
  const clock = new Clock();
  class Stuck extends Recorder {
    override connectionMade(): void {
      super.connectionMade();
      this.transport!.write(pattern(16 * 1024 * 1024));
      this.transport!.loseConnection({ timeout: 5000 });
    }
  }
  const factory = new ListFactory(() => new Stuck());
  await using port = await serve(factory, { clock });
  const client = await connectTo(port);
  const server = await factory.nth(0);
  await server.made.promise;
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(server.reason, null);
  clock.advance(4999);
  assert.equal(server.reason, null);
  clock.advance(1);
  const reason = await server.lost.promise;
  assert.ok(reason instanceof ConnectionAborted);
  assert.match(reason.message, /5000 ms/);
  client.close();
});

Deno.test("writes after close neither throw nor send", async () => {
  const factory = new ListFactory(() => new Recorder());
  await using port = await serve(factory);
  const client = await connectTo(port);
  const server = await factory.nth(0);
  client.close();
  await server.lost.promise;
  server.transport!.write("late");
  server.transport!.writeSequence(["late"]);
  server.transport!.loseConnection();
  server.transport!.abortConnection();
  server.transport!.loseWriteConnection();
  assert.equal(
    server.events.filter((e) => e.startsWith("connectionLost")).length,
    1,
  );
});

Deno.test("bufferFull and bufferDrained follow the water marks; a push producer is paused and resumed", async () => {
  const events: string[] = [];
  class Watcher extends Recorder implements Producer {
    override connectionMade(): void {
      super.connectionMade();
      this.transport!.highWaterMark = 32 * 1024;
      this.transport!.lowWaterMark = 8 * 1024;
      this.transport!.registerProducer(this, true);
      assert.throws(
        () => this.transport!.registerProducer(this, true),
        /already registered/,
      );
      this.transport!.write(pattern(2 * 1024 * 1024));
    }
    override bufferFull(): void {
      events.push("full");
    }
    override bufferDrained(): void {
      events.push("drained");
      this.transport!.unregisterProducer();
      this.transport!.loseConnection();
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
  const factory = new ListFactory(() => new Watcher());
  await using port = await serve(factory);
  const client = await connectTo(port);
  assert.equal((await readAll(client)).length, 2 * 1024 * 1024);
  await (await factory.nth(0)).lost.promise;
  // bufferDrained runs before the producer resumes, and unregisters it here.
  assert.deepEqual(events, ["pause", "full", "drained"]);
  client.close();
});

Deno.test("a pull producer is asked for more each time the buffer empties; loseConnection waits for it", async () => {
  class Pull extends Recorder implements Producer {
    sent = 0;
    stopped = false;
    override connectionMade(): void {
      super.connectionMade();
      this.transport!.registerProducer(this, false);
      this.transport!.loseConnection(); // waits for unregisterProducer
    }
    resumeProducing(): void {
      if (this.sent === 10) {
        this.transport!.unregisterProducer();
        return;
      }
      this.transport!.write(`chunk ${this.sent++}\n`);
    }
    stopProducing(): void {
      this.stopped = true;
    }
  }
  const factory = new ListFactory(() => new Pull());
  await using port = await serve(factory);
  const client = await connectTo(port);
  const text = decoder.decode(await readAll(client));
  assert.equal(text.split("\n").length, 11);
  const server = await factory.nth(0);
  assert.ok((await server.lost.promise) instanceof ConnectionDone);
  assert.equal(server.stopped, false);
  client.close();
});

Deno.test("a registered producer is stopped when the connection goes away", async () => {
  let stopped = 0;
  class Holder extends Recorder {
    override connectionMade(): void {
      super.connectionMade();
      this.transport!.registerProducer({
        resumeProducing() {},
        pauseProducing() {},
        stopProducing() {
          stopped++;
        },
      }, true);
    }
  }
  const factory = new ListFactory(() => new Holder());
  await using port = await serve(factory);
  const client = await connectTo(port);
  const server = await factory.nth(0);
  await server.made.promise;
  client.close();
  await server.lost.promise;
  assert.equal(stopped, 1);
});
