// listenDatagram's edges: a protocol started twice, sends that fail (while
// open: reported; after close: dropped), writes after close, stopProtocol
// and onError that throw, the console without onError, and receive errors
// with their back-off. Linux does not report ICMP errors on an unconnected
// UDP socket, so receive errors come from a socket whose receive is scripted
// (Deno.listenDatagram is wrapped for those tests).

import assert from "node:assert/strict";
import {
  type DatagramListenOptions,
  type DatagramPort,
  DatagramProtocol,
  listenDatagram,
} from "../../mod.ts";
import { Clock } from "../../testing/mod.ts";
import { captureConsoleError, settle } from "./_fakes.ts";

const enc = new TextEncoder();
const LOCAL = "udp:0:interface=127.0.0.1";

Deno.test("DatagramProtocol: makeConnection twice is refused", () => {
  const protocol = new DatagramProtocol();
  const transport = {
    write: (): void => {},
    getHost: (): Deno.NetAddr => ({
      transport: "udp",
      hostname: "127.0.0.1",
      port: 1,
    }),
    loseConnection: (): void => {},
  };
  protocol.makeConnection(transport);
  assert.throws(
    () => protocol.makeConnection(transport),
    (error: unknown) =>
      error instanceof Error &&
      error.message === "DatagramProtocol already runs on a port",
  );
  assert.equal(protocol.transport, transport);
});

Deno.test("DatagramProtocol: the default datagramReceived ignores the datagram", async () => {
  const got = Promise.withResolvers<Uint8Array>();
  class Quiet extends DatagramProtocol {
    override datagramReceived(data: Uint8Array, addr: Deno.NetAddr): void {
      assert.equal(super.datagramReceived(data, addr), undefined);
      got.resolve(data);
    }
  }
  const errors: unknown[] = [];
  const port = await listenDatagram(LOCAL, new Quiet(), {
    onError: (error) => errors.push(error),
  });
  const peer = Deno.listenDatagram({
    port: 0,
    hostname: "127.0.0.1",
    transport: "udp",
  });
  try {
    await peer.send(enc.encode("hi"), port.addr);
    assert.deepEqual(await got.promise, enc.encode("hi"));
  } finally {
    peer.close();
    await port.close();
  }
  assert.deepEqual(errors, []);
});

Deno.test("listenDatagram: a failed send is reported while open, dropped once the port closes", async () => {
  const errors: unknown[] = [];
  const reported = Promise.withResolvers<void>();
  const protocol = new DatagramProtocol();
  const port = await listenDatagram(LOCAL, protocol, {
    onError: (error) => {
      errors.push(error);
      reported.resolve();
    },
  });
  const tooBig = new Uint8Array(70_000); // over the UDP maximum: EMSGSIZE
  const to = { hostname: "127.0.0.1", port: 9 };
  port.write(tooBig, to);
  await reported.promise;
  assert.equal(errors.length, 1);
  assert.match(
    (errors[0] as Error).message,
    /^Datagram send failed: to 127\.0\.0\.1:9: /,
  );
  port.write(tooBig, to); // fails too, but the port is closing by then
  await port.close();
  port.write("after close", to); // ignored
  await settle();
  assert.equal(errors.length, 1);
  assert.equal(protocol.transport, null);
});

Deno.test("listenDatagram: stopProtocol that throws is reported with the protocol; the port still finishes", async () => {
  class Throws extends DatagramProtocol {
    override stopProtocol(): void {
      throw new Error("stop failed");
    }
  }
  const protocol = new Throws();
  const reports: [unknown, unknown][] = [];
  const port = await listenDatagram(LOCAL, protocol, {
    onError: (error, p) => reports.push([error, p]),
  });
  await port.close();
  await port.finished;
  assert.equal(reports.length, 1);
  assert.equal((reports[0][0] as Error).message, "stop failed");
  assert.equal(reports[0][1], protocol);
  assert.equal(protocol.transport, null);
});

Deno.test("listenDatagram: without onError errors go to the console; an onError that throws too", async () => {
  class Throws extends DatagramProtocol {
    override stopProtocol(): void {
      throw new Error("stop failed");
    }
  }
  const plain = await captureConsoleError(async () => {
    const port = await listenDatagram(LOCAL, new Throws());
    await port.close();
  });
  assert.equal(plain.length, 1);
  assert.equal(plain[0][0], "torsion:");
  assert.equal((plain[0][1] as Error).message, "stop failed");

  const failing = await captureConsoleError(async () => {
    const port = await listenDatagram(LOCAL, new Throws(), {
      onError: () => {
        throw new Error("reporter failed");
      },
    });
    await port.close();
  });
  assert.equal(failing.length, 1);
  assert.equal(failing[0][0], "torsion: onError failed:");
  assert.equal((failing[0][1] as Error).message, "reporter failed");
});

// --- receive errors, on a socket whose receive is scripted --------------------

type Receive = [Uint8Array, Deno.Addr];

/** A UDP socket (real, for addr/send/close) whose receives the test settles. */
class ScriptedSocket {
  readonly real: Deno.DatagramConn;
  waiting: PromiseWithResolvers<Receive> | null = null;
  receives = 0;
  constructor(real: Deno.DatagramConn) {
    this.real = real;
  }
  get addr(): Deno.Addr {
    return this.real.addr;
  }
  send(p: Uint8Array, addr: Deno.Addr): Promise<number> {
    return this.real.send(p, addr);
  }
  close(): void {
    this.real.close();
    this.waiting?.reject(new Deno.errors.BadResource());
    this.waiting = null;
  }
  receive(_p?: Uint8Array): Promise<Receive> {
    this.receives++;
    this.waiting = Promise.withResolvers();
    return this.waiting.promise;
  }
  /** Settle the pending receive. */
  settle(result: Receive | Error): void {
    const waiting = this.waiting!;
    this.waiting = null;
    if (result instanceof Error) waiting.reject(result);
    else waiting.resolve(result);
  }
}

async function withScriptedSocket(
  fn: (socket: () => ScriptedSocket) => Promise<void>,
): Promise<void> {
  const original = Deno.listenDatagram;
  let socket: ScriptedSocket | null = null;
  (Deno as { listenDatagram: unknown }).listenDatagram = (
    options: Deno.UdpListenOptions & { transport: "udp" },
  ): Deno.DatagramConn => {
    socket = new ScriptedSocket(original(options));
    return socket as unknown as Deno.DatagramConn;
  };
  try {
    await fn(() => socket!);
  } finally {
    (Deno as { listenDatagram: unknown }).listenDatagram = original;
  }
}

class Recorder extends DatagramProtocol {
  datagrams: string[] = [];
  override datagramReceived(data: Uint8Array): void {
    this.datagrams.push(new TextDecoder().decode(data));
  }
}

const FROM: Deno.NetAddr = {
  transport: "udp",
  hostname: "127.0.0.1",
  port: 4000,
};

function listenScripted(
  protocol: DatagramProtocol,
  clock: Clock,
  errors: unknown[],
): Promise<DatagramPort> {
  const options: DatagramListenOptions = {
    clock,
    onError: (error) => errors.push(error),
  };
  return listenDatagram(LOCAL, protocol, options);
}

Deno.test("listenDatagram: receive errors are reported and retried after a doubling back-off, reset by a datagram", async () => {
  await withScriptedSocket(async (socket) => {
    const clock = new Clock();
    const errors: unknown[] = [];
    const protocol = new Recorder();
    const port = await listenScripted(protocol, clock, errors);
    const refused = new Deno.errors.ConnectionRefused("ICMP port unreachable");
    socket().settle(refused);
    await settle();
    assert.deepEqual(errors, [refused]);
    assert.deepEqual(clock.getDelayedCalls().map((c) => c.time), [5]);
    assert.equal(socket().receives, 1); // waiting out the back-off
    clock.advance(5);
    await settle();
    socket().settle(refused);
    await settle();
    assert.deepEqual(clock.getDelayedCalls().map((c) => c.time), [15]);
    clock.advance(10);
    await settle();
    socket().settle([enc.encode("one"), FROM]);
    await settle();
    assert.deepEqual(protocol.datagrams, ["one"]);
    socket().settle(refused); // the back-off starts again from 5 ms
    await settle();
    assert.deepEqual(clock.getDelayedCalls().map((c) => c.time), [20]);
    assert.equal(errors.length, 3);
    // Closing during the back-off ends it without the clock.
    await port.close();
    assert.equal(clock.getDelayedCalls().length, 0);
    assert.equal(protocol.transport, null);
  });
});

Deno.test("listenDatagram: a datagram received in the tick the port closes is not delivered", async () => {
  await withScriptedSocket(async (socket) => {
    const errors: unknown[] = [];
    const protocol = new Recorder();
    const port = await listenScripted(protocol, new Clock(), errors);
    await settle();
    const scripted = socket();
    const pending = scripted.waiting!;
    scripted.waiting = null; // close() will not reject this receive
    pending.resolve([enc.encode("late"), FROM]);
    const closing = port.close(); // before the receive loop resumes
    await closing;
    assert.deepEqual(protocol.datagrams, []);
    assert.deepEqual(errors, []);
  });
});
