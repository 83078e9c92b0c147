// Edges of the core that the main suites leave out: a decoder stream whose
// input is aborted, ClientFactory's defaults, the real clock, FileSender with
// a file closed under it, and a retry asked for after stopTrying.

import assert from "node:assert/strict";
import {
  type ClientEndpoint,
  ClientFactory,
  connect,
  ConnectError,
  type ConnectionClosed,
  ConnectionDone,
  type DialedConnection,
  Factory,
  FileSender,
  IntNDecoderStream,
  LineDecoderStream,
  listen,
  NetstringDecoderStream,
  Protocol,
  realClock,
  ReconnectingClientFactory,
  TextLineDecoderStream,
} from "../../mod.ts";
import type {
  Connector,
  ConnectorState,
} from "../../protocols/client_factory.ts";
import { Clock, StringTransport } from "../../testing/mod.ts";

const enc = new TextEncoder();

// --- decoder streams: aborting the input ----------------------------------

for (
  const [name, make] of [
    ["LineDecoderStream", () => new LineDecoderStream()],
    ["TextLineDecoderStream", () => new TextLineDecoderStream()],
    ["NetstringDecoderStream", () => new NetstringDecoderStream()],
    ["IntNDecoderStream", () => new IntNDecoderStream()],
  ] as const
) {
  Deno.test(`${name}: aborting the writable errors the readable with the abort reason`, async () => {
    const stream = make();
    const reason = new Error("source failed");
    const reader = stream.readable.getReader();
    const read = reader.read();
    await stream.writable.abort(reason);
    await assert.rejects(read, (error) => error === reason);
    await assert.rejects(reader.closed, (error) => error === reason);
  });

  Deno.test(`${name}: a source that errors mid-stream errors the decoded stream (pipeTo aborts)`, async () => {
    const stream = make();
    const reason = new Error("connection reset");
    const source = new ReadableStream<Uint8Array>({
      pull(controller): void {
        controller.error(reason);
      },
    });
    const piped = source.pipeTo(stream.writable);
    await assert.rejects(piped, (error) => error === reason);
    await assert.rejects(
      Array.fromAsync(stream.readable as ReadableStream<unknown>),
      (error) => error === reason,
    );
  });
}

Deno.test("LineDecoderStream: an abort after the readable was cancelled keeps the cancel reason", async () => {
  const stream = new LineDecoderStream();
  const cancelled = new Error("consumer gone");
  await stream.readable.cancel(cancelled);
  // The cancel errored the input side: the abort finds it errored already.
  const writer = stream.writable.getWriter();
  await assert.rejects(writer.closed, (error) => error === cancelled);
  await writer.abort(new Error("later")).catch(() => {});
  await assert.rejects(
    writer.write(enc.encode("x\r\n")),
    (error) => error === cancelled,
  );
});

// --- ClientFactory defaults -------------------------------------------------

Deno.test("ClientFactory.forProtocol: a ClientFactory (or subclass) building the given protocol", () => {
  class Mine extends Protocol {}
  const factory = ClientFactory.forProtocol(Mine);
  assert.ok(factory instanceof ClientFactory);
  assert.equal(factory.protocol, Mine);
  assert.ok(factory.buildProtocol(ADDR) instanceof Mine);

  class Sub extends ClientFactory {}
  const sub = Sub.forProtocol(Mine);
  assert.ok(sub instanceof Sub);
  assert.equal(sub.protocol, Mine);
});

const ADDR: Deno.NetAddr = {
  transport: "tcp",
  hostname: "127.0.0.1",
  port: 1,
};

/** A client endpoint whose dial fails with `error`. */
function failingEndpoint(error: unknown): ClientEndpoint {
  return {
    timeout: Infinity,
    getDestination: (): Deno.Addr => ADDR,
    dial: (): Promise<DialedConnection> => Promise.reject(error),
  };
}

Deno.test("ClientFactory: the default clientConnectionFailed does nothing; connect still rejects", async () => {
  const factory = ClientFactory.forProtocol(Protocol);
  let stops = 0;
  factory.stopFactory = () => stops++;
  const errors: unknown[] = [];
  await assert.rejects(
    connect(failingEndpoint(new Error("no route")), factory, {
      onError: (error) => errors.push(error),
    }),
    (error: unknown) =>
      error instanceof ConnectError &&
      error.message === "Cannot connect to 127.0.0.1:1: no route",
  );
  assert.deepEqual(errors, []); // the default hook did not throw
  assert.equal(stops, 1);
  assert.equal(factory.numPorts, 0);
});

Deno.test("ClientFactory: the default clientConnectionLost does nothing once a real connection ends", async () => {
  const server = await listen(
    "tcp:0:interface=127.0.0.1",
    Factory.forProtocol(Protocol),
  );
  try {
    const lost = Promise.withResolvers<ConnectionClosed>();
    class Client extends Protocol {
      override connectionMade(): void {
        this.transport!.loseConnection();
      }
      override connectionLost(reason: ConnectionClosed): void {
        lost.resolve(reason);
      }
    }
    const factory = ClientFactory.forProtocol(Client);
    const stopped = Promise.withResolvers<void>();
    factory.stopFactory = () => stopped.resolve();
    const errors: unknown[] = [];
    const port = (server.addr as Deno.NetAddr).port;
    await connect(`tcp:127.0.0.1:${port}`, factory, {
      onError: (error) => errors.push(error),
    });
    assert.ok((await lost.promise) instanceof ConnectionDone);
    await stopped.promise; // after clientConnectionLost, the factory stops
    assert.deepEqual(errors, []);
  } finally {
    await server.close();
  }
});

// --- realClock --------------------------------------------------------------

Deno.test("realClock: callLater runs once, active turns false, cancel afterwards is a no-op", async () => {
  const ran = Promise.withResolvers<void>();
  let runs = 0;
  const before = realClock.now();
  const call = realClock.callLater(-5, () => { // negative: as soon as possible
    runs++;
    ran.resolve();
  });
  assert.equal(call.active, true);
  await ran.promise;
  assert.equal(call.active, false);
  call.cancel();
  call.cancel();
  assert.equal(runs, 1);
  assert.ok(realClock.now() >= before);
});

Deno.test("realClock: a cancelled call never runs and is inactive", async () => {
  let runs = 0;
  const call = realClock.callLater(0, () => runs++);
  call.cancel();
  assert.equal(call.active, false);
  // A later timer fires after the cancelled one would have.
  await new Promise<void>((resolve) => realClock.callLater(0, resolve));
  assert.equal(runs, 0);
});

// --- FileSender -------------------------------------------------------------

Deno.test("FileSender: pauseProducing is a no-op for this pull producer", async () => {
  const sender = new FileSender();
  const transport = new StringTransport();
  const done = sender.beginFileTransfer(
    ReadableStream.from([enc.encode("ab"), enc.encode("cd")]),
    transport,
  );
  sender.pauseProducing();
  assert.equal(sender.active, true);
  // StringTransport asks a pull producer for more by hand.
  while (sender.active) {
    await Promise.resolve();
    sender.resumeProducing();
  }
  await done;
  assert.equal(transport.valueText(), "abcd");
});

Deno.test("FileSender: a Deno.FsFile closed by its owner fails the transfer with the read error", async () => {
  const path = await Deno.makeTempFile();
  try {
    await Deno.writeTextFile(path, "content");
    const file = await Deno.open(path);
    file.close(); // the owner closed it: reading fails, and so does close
    const transport = new StringTransport();
    const sender = new FileSender();
    const done = sender.beginFileTransfer(file, transport);
    sender.resumeProducing(); // StringTransport leaves pulling to the test
    await assert.rejects(done, Deno.errors.BadResource);
    assert.equal(sender.active, false);
    assert.equal(transport.producer, null);
    assert.equal(transport.value().length, 0);
  } finally {
    await Deno.remove(path);
  }
});

// --- ReconnectingClientFactory ---------------------------------------------

class IdleConnector implements Connector {
  state: ConnectorState = "disconnected";
  stopped = false;
  connect(): void {}
  stopConnecting(): void {}
  disconnect(): void {}
  getDestination(): Deno.Addr {
    return ADDR;
  }
}

Deno.test("ReconnectingClientFactory: retry after stopTrying schedules nothing, even with a connector", () => {
  const factory = ReconnectingClientFactory.forProtocol(Protocol);
  const clock = new Clock();
  factory.clock = clock;
  factory.stopTrying();
  factory.retry(new IdleConnector());
  factory.retry(); // no connector known: still no TypeError once stopped
  assert.equal(clock.getDelayedCalls().length, 0);
  assert.equal(factory.retries, 0);
});
