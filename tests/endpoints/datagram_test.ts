// DatagramProtocol and listenDatagram over real loopback UDP sockets.

import assert from "node:assert/strict";
import { DatagramProtocol } from "../../endpoints/datagram_protocol.ts";
import { listenDatagram } from "../../endpoints/listen_datagram.ts";
import { UDPEcho } from "../../examples/udp_echo.ts";
import { decoder, encoder } from "../_net.ts";

/** A plain UDP socket to talk to a port from outside. */
async function withPeer(
  hostname: string,
  fn: (peer: Deno.DatagramConn) => Promise<void>,
): Promise<void> {
  const peer = Deno.listenDatagram({ port: 0, hostname, transport: "udp" });
  try {
    await fn(peer);
  } finally {
    peer.close();
  }
}

async function ask(
  peer: Deno.DatagramConn,
  to: Deno.NetAddr,
  text: string,
): Promise<[string, Deno.NetAddr]> {
  const reply = peer.receive();
  await peer.send(encoder.encode(text), to);
  const [data, from] = await reply;
  return [decoder.decode(data), from as Deno.NetAddr];
}

/** Records its events; promises for the next datagram. */
class Recorder extends DatagramProtocol {
  events: string[] = [];
  datagrams: [string, Deno.NetAddr][] = [];
  #next = Promise.withResolvers<void>();
  override startProtocol(): void {
    this.events.push("startProtocol");
  }
  override stopProtocol(): void {
    this.events.push("stopProtocol");
  }
  override datagramReceived(data: Uint8Array, addr: Deno.NetAddr): void {
    this.datagrams.push([decoder.decode(data), addr]);
    this.#next.resolve();
    this.#next = Promise.withResolvers<void>();
  }
  async nth(index: number): Promise<[string, Deno.NetAddr]> {
    while (this.datagrams.length <= index) await this.#next.promise;
    return this.datagrams[index];
  }
}

Deno.test("udp: round trip with the udp_echo example's protocol", async () => {
  const seen: Deno.NetAddr[] = [];
  const protocol = new UDPEcho();
  const port = await listenDatagram("udp:0:interface=127.0.0.1", protocol, {
    onListen: (addr) => seen.push(addr),
  });
  assert.equal(port.addr.transport, "udp");
  assert.equal(port.addr.hostname, "127.0.0.1");
  assert.ok(port.addr.port > 0);
  assert.deepEqual(seen, [port.addr]);
  assert.deepEqual(port.getHost(), port.addr);
  assert.equal(port.description, `udp:${port.addr.port}:interface=127.0.0.1`);
  assert.equal(protocol.transport, port);
  await withPeer("127.0.0.1", async (peer) => {
    for (const text of ["hello", "", "x".repeat(60000)]) {
      const [reply, from] = await ask(peer, port.addr, text);
      assert.equal(reply, text);
      assert.equal(from.port, port.addr.port);
    }
  });
  await port.close();
  assert.equal(protocol.transport, null);
});

Deno.test("udp: IPv6 with interface=\\:\\:1", async () => {
  await using port = await listenDatagram(
    "udp:0:interface=\\:\\:1",
    new UDPEcho(),
  );
  assert.equal(port.addr.hostname, "::1");
  await withPeer("::1", async (peer) => {
    assert.equal((await ask(peer, port.addr, "six"))[0], "six");
  });
});

Deno.test("udp: startProtocol, datagramReceived with the sender, stopProtocol, finished", async () => {
  const protocol = new Recorder();
  const port = await listenDatagram("udp:0:interface=127.0.0.1", protocol);
  assert.deepEqual(protocol.events, ["startProtocol"]);
  await withPeer("127.0.0.1", async (peer) => {
    await peer.send(encoder.encode("one"), port.addr);
    const [text, from] = await protocol.nth(0);
    assert.equal(text, "one");
    assert.deepEqual(from, peer.addr);
  });
  await port.close();
  await port.finished;
  await port.close(); // idempotent
  assert.deepEqual(protocol.events, ["startProtocol", "stopProtocol"]);
});

Deno.test("udp: an exception in datagramReceived is reported and the port goes on", async () => {
  const errors: [unknown, DatagramProtocol | undefined][] = [];
  const reported = Promise.withResolvers<void>();
  class Picky extends UDPEcho {
    override datagramReceived(data: Uint8Array, addr: Deno.NetAddr): void {
      if (decoder.decode(data) === "boom") throw new Error("picky");
      super.datagramReceived(data, addr);
    }
  }
  const protocol = new Picky();
  await using port = await listenDatagram(
    "udp:0:interface=127.0.0.1",
    protocol,
    {
      onError: (error, p) => {
        errors.push([error, p]);
        reported.resolve();
      },
    },
  );
  await withPeer("127.0.0.1", async (peer) => {
    await peer.send(encoder.encode("boom"), port.addr);
    await reported.promise;
    assert.equal((await ask(peer, port.addr, "fine"))[0], "fine");
  });
  assert.equal(errors.length, 1);
  assert.equal((errors[0][0] as Error).message, "picky");
  assert.equal(errors[0][1], protocol);
});

Deno.test("udp: write takes strings; a bad address is a TypeError, a failed send is reported", async () => {
  const errors: unknown[] = [];
  const failed = Promise.withResolvers<void>();
  const protocol = new Recorder();
  await using port = await listenDatagram(
    "udp:0:interface=127.0.0.1",
    protocol,
    {
      onError: (error) => {
        errors.push(error);
        failed.resolve();
      },
    },
  );
  await withPeer("127.0.0.1", async (peer) => {
    const reply = peer.receive();
    port.write("héllo", peer.addr as Deno.NetAddr);
    const [data] = await reply;
    assert.equal(decoder.decode(data), "héllo");
  });
  for (const bad of [{ hostname: "127.0.0.1", port: 0 }, { port: 7 }, null]) {
    assert.throws(
      () => port.write("x", bad as unknown as Deno.NetAddr),
      (error: unknown) => {
        assert.ok(error instanceof TypeError);
        assert.match(error.message, /^Invalid datagram address: /);
        return true;
      },
    );
  }
  // Larger than any UDP datagram: the send fails, the caller does not throw.
  port.write(new Uint8Array(70000), { hostname: "127.0.0.1", port: 9 });
  await failed.promise;
  assert.match(
    (errors[0] as Error).message,
    /^Datagram send failed: to 127\.0\.0\.1:9: /,
  );
});

Deno.test("udp: loseConnection from the protocol closes the port", async () => {
  const stopped = Promise.withResolvers<void>();
  class OneShot extends UDPEcho {
    override datagramReceived(data: Uint8Array, addr: Deno.NetAddr): void {
      super.datagramReceived(data, addr);
      this.transport!.loseConnection();
    }
    override stopProtocol(): void {
      stopped.resolve();
    }
  }
  const port = await listenDatagram("udp:0:interface=127.0.0.1", new OneShot());
  await withPeer("127.0.0.1", async (peer) => {
    assert.equal((await ask(peer, port.addr, "last"))[0], "last");
  });
  await stopped.promise;
  await port.finished;
  // The port is free again.
  const again = await listenDatagram(
    `udp:${port.addr.port}:interface=127.0.0.1`,
    new UDPEcho(),
  );
  await again.close();
});

Deno.test("udp: aborting the signal closes the port", async () => {
  const controller = new AbortController();
  const protocol = new Recorder();
  const port = await listenDatagram("udp:0:interface=127.0.0.1", protocol, {
    signal: controller.signal,
  });
  controller.abort();
  await port.finished;
  assert.deepEqual(protocol.events, ["startProtocol", "stopProtocol"]);
  await assert.rejects(
    listenDatagram("udp:0:interface=127.0.0.1", new Recorder(), {
      signal: controller.signal,
    }),
    (error: unknown) => error === controller.signal.reason,
  );
});

Deno.test("udp: a protocol runs on one port; startProtocol failing binds nothing", async () => {
  const protocol = new Recorder();
  await using _port = await listenDatagram(
    "udp:0:interface=127.0.0.1",
    protocol,
  );
  await assert.rejects(
    listenDatagram("udp:0:interface=127.0.0.1", protocol),
    new TypeError(
      "DatagramProtocol already runs on a port: use one instance per port",
    ),
  );
  class Broken extends DatagramProtocol {
    bound = 0;
    override startProtocol(): void {
      this.bound = this.transport!.getHost().port;
      throw new Error("cannot start");
    }
  }
  const broken = new Broken();
  await assert.rejects(
    listenDatagram("udp:0:interface=127.0.0.1", broken),
    new Error("cannot start"),
  );
  assert.equal(broken.transport, null);
  // Its socket was closed: the same port binds again.
  const again = await listenDatagram(
    `udp:${broken.bound}:interface=127.0.0.1`,
    new UDPEcho(),
  );
  await again.close();
});

Deno.test("examples/udp_echo.ts prints where it listens, echoes, exits 0 on SIGTERM", async () => {
  const root = new URL("../../", import.meta.url).pathname;
  const bad = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "examples/udp_echo.ts", "udp:nope"],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(bad.code, 2);
  assert.match(
    decoder.decode(bad.stderr),
    /error: Invalid port in endpoint description: nope in udp:nope/,
  );

  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "examples/udp_echo.ts", "udp:0:interface=127.0.0.1"],
    cwd: root,
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  while (!out.includes("\n")) {
    const { value, done } = await lines.read();
    if (done) break;
    out += value;
  }
  const match = /^listening on udp:(\d+):interface=127\.0\.0\.1\n$/.exec(out);
  assert.ok(match, out);
  await withPeer("127.0.0.1", async (peer) => {
    const to: Deno.NetAddr = {
      transport: "udp",
      hostname: "127.0.0.1",
      port: Number(match[1]),
    };
    assert.equal((await ask(peer, to, "ping"))[0], "ping");
  });
  child.kill("SIGTERM");
  while (!(await lines.read()).done);
  assert.equal((await child.status).code, 0);
});
