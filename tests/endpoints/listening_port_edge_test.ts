// serveListener over a FakeListener: accept errors and their back-off on the
// fake clock (woken by stopListening), a listener whose close throws, a
// listener of another transport, a connection whose preparation ends after
// the port began closing, and errors reported without onError.

import assert from "node:assert/strict";
import {
  Factory,
  type ListeningPort,
  Protocol,
  serveListener,
} from "../../mod.ts";
import { Clock } from "../../testing/mod.ts";
import {
  captureConsoleError,
  FakeConn,
  FakeListener,
  settle,
  VSOCK,
} from "./_fakes.ts";

/** A factory counting starts, stops and built protocols. */
class CountingFactory extends Factory {
  starts = 0;
  stops = 0;
  built = 0;
  override protocol = Protocol;
  override startFactory(): void {
    this.starts++;
  }
  override stopFactory(): void {
    this.stops++;
  }
  override buildProtocol(addr: Deno.Addr): Protocol | null {
    this.built++;
    return super.buildProtocol(addr);
  }
}

/** A port served over a FakeListener on a fake clock, recording its errors. */
function serveFake(): {
  clock: Clock;
  listener: FakeListener;
  errors: unknown[];
  factory: CountingFactory;
  port: ListeningPort;
} {
  const clock = new Clock();
  const listener = new FakeListener();
  const errors: unknown[] = [];
  const factory = new CountingFactory();
  const port = serveListener(listener, factory, {
    clock,
    onError: (error) => errors.push(error),
  });
  return { clock, listener, errors, factory, port };
}

Deno.test("serveListener: accept errors are reported and retried after a doubling back-off", async () => {
  const { clock, listener, errors, factory, port } = serveFake();
  listener.push(new Error("EMFILE: too many open files"));
  await settle();
  assert.equal(errors.length, 1);
  assert.equal(port.metrics.errors, 1);
  assert.deepEqual(clock.getDelayedCalls().map((c) => c.time), [5]);
  listener.push(new Error("EMFILE again"));
  clock.advance(5);
  await settle();
  assert.equal(errors.length, 2);
  assert.deepEqual(clock.getDelayedCalls().map((c) => c.time), [15]); // 5 + 10
  clock.advance(10);
  await settle();
  assert.ok(listener.accepting);
  const conn = new FakeConn();
  listener.push(conn); // accepting works again
  await settle();
  assert.equal(factory.built, 1);
  assert.equal(port.connections, 1);
  const closing = port.close();
  await settle();
  conn.end(); // the peer answers the close
  await closing;
  assert.equal(factory.stops, 1);
});

Deno.test("serveListener: stopListening during the back-off ends it at once, without the clock", async () => {
  const { clock, listener, errors, factory, port } = serveFake();
  listener.push(new Error("ENFILE"));
  await settle();
  assert.equal(clock.getDelayedCalls().length, 1);
  await port.stopListening(); // resolves though the clock never moved
  assert.equal(clock.getDelayedCalls().length, 0); // the back-off was cancelled
  assert.equal(factory.stops, 1);
  await port.finished;
  assert.equal(errors.length, 1);
});

Deno.test("serveListener: a peer that reset before it was accepted is skipped silently", async () => {
  const { listener, errors, factory, port } = serveFake();
  listener.push(new Deno.errors.ConnectionReset());
  listener.push(new Deno.errors.ConnectionAborted());
  listener.push(new Deno.errors.NotConnected());
  const conn = new FakeConn();
  listener.push(conn);
  await settle();
  assert.deepEqual(errors, []);
  assert.equal(factory.built, 1);
  const closing = port.close();
  await settle();
  conn.end();
  await closing;
});

Deno.test("serveListener: a listener whose close throws still stops", async () => {
  const listener = new FakeListener();
  listener.closeError = new Deno.errors.BadResource("closed already");
  const factory = new CountingFactory();
  const port = serveListener(listener, factory, { clock: new Clock() });
  await port.close();
  await port.close(); // idempotent
  assert.equal(listener.closed, true);
  assert.equal(factory.starts, 1);
  assert.equal(factory.stops, 1);
});

Deno.test("serveListener: a listener of another transport is described by its transport", async () => {
  const port = serveListener(new FakeListener(VSOCK), new CountingFactory(), {
    clock: new Clock(),
  });
  assert.equal(port.description, "vsock");
  assert.equal(port.getHost(), VSOCK);
  await port.close();
});

Deno.test("serveListener: a connection prepared after close began is closed, not served", async () => {
  const listener = new FakeListener();
  const factory = new CountingFactory();
  const conn = new FakeConn();
  const prepared = Promise.withResolvers<{ conn: Deno.Conn }>();
  let preparing = 0;
  const port = serveListener(listener, factory, {
    clock: new Clock(),
    prepare: () => {
      preparing++;
      return prepared.promise;
    },
  });
  listener.push(conn);
  await settle();
  assert.equal(preparing, 1);
  const closing = port.close();
  await settle();
  // close() closes the pending connection; its preparation finishes anyway
  // (a handshake that had its bytes already, say).
  assert.equal(conn.closed, true);
  const other = new FakeConn();
  prepared.resolve({ conn: other });
  await closing;
  assert.equal(other.closed, true);
  assert.equal(factory.built, 0);
  assert.equal(port.connections, 0);
});

Deno.test("serveListener: without onError, errors go to the console", async () => {
  class Throws extends Factory {
    override buildProtocol(): Protocol {
      throw new Error("buildProtocol bug");
    }
  }
  const listener = new FakeListener();
  const conn = new FakeConn();
  const logged = await captureConsoleError(async () => {
    const port = serveListener(listener, new Throws(), { clock: new Clock() });
    listener.push(conn);
    await settle();
    await port.close();
  });
  assert.equal(logged.length, 1);
  assert.equal(logged[0][0], "torsion:");
  assert.equal((logged[0][1] as Error).message, "buildProtocol bug");
  assert.equal(conn.closed, true);
});
