// ReconnectingClientFactory: Twisted's back-off, computed exactly on the fake
// clock with a fixed random source, a true maxDelay cap, automatic
// resetDelay, stopTrying; and one real reconnection after a server restart.

import assert from "node:assert/strict";
import fc from "fast-check";
import {
  type ConnectionClosed,
  ConnectionDone,
  listen,
  Protocol,
  realClock,
} from "../../mod.ts";
import { Clock } from "../../testing/mod.ts";
import type {
  Connector,
  ConnectorState,
} from "../../protocols/client_factory.ts";
import { ReconnectingClientFactory } from "../../protocols/reconnecting_client_factory.ts";
import { connect } from "../../endpoints/connect.ts";
import { ConnectionRefusedError } from "../../endpoints/connect_error.ts";
import { ListFactory, portOf, Recorder } from "../_net.ts";

const E = Math.E;
const JITTER = 0.119626565582;

/** A connector that only counts what it is asked to do. */
class FakeConnector implements Connector {
  state: ConnectorState = "disconnected";
  stopped = false;
  connects = 0;
  stops = 0;
  connect(): void {
    this.connects++;
  }
  stopConnecting(): void {
    this.stops++;
  }
  disconnect(): void {}
  getDestination(): Deno.Addr {
    return { transport: "tcp", hostname: "192.0.2.1", port: 9 };
  }
}

/** The standard normal deviate the factory makes from two uniform draws. */
function z(u1: number, u2: number): number {
  return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
}

/** A random source replaying `values` in a loop. */
function cycle(...values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length];
}

function setup(): {
  factory: ReconnectingClientFactory;
  clock: Clock;
  connector: FakeConnector;
} {
  const factory = ReconnectingClientFactory.forProtocol(Protocol);
  const clock = new Clock();
  factory.clock = clock;
  factory.random = () => 0; // z = 0: no jitter
  return { factory, clock, connector: new FakeConnector() };
}

/**
 * Fail once; check that one retry is scheduled `factory.delay` seconds from
 * now, and return that delay in milliseconds.
 */
function failOnce(
  factory: ReconnectingClientFactory,
  clock: Clock,
  connector: Connector,
): number {
  factory.clientConnectionFailed(connector, new Error("refused"));
  const calls = clock.getDelayedCalls();
  assert.equal(calls.length, 1, "one retry scheduled");
  const ms = factory.delay * 1000;
  assert.equal(calls[0].time, clock.now() + ms);
  return ms;
}

/** Whether a call is scheduled exactly `ms` from now. */
function scheduledIn(clock: Clock, ms: number): boolean {
  return clock.getDelayedCalls().some((call) => call.time === clock.now() + ms);
}

Deno.test("defaults are Twisted's", () => {
  const factory = new ReconnectingClientFactory();
  assert.equal(factory.initialDelay, 1);
  assert.equal(factory.maxDelay, 3600);
  assert.equal(factory.factor, Math.E);
  assert.equal(factory.jitter, JITTER);
  assert.equal(factory.maxRetries, null);
  assert.equal(factory.delay, 1);
  assert.equal(factory.retries, 0);
  assert.equal(factory.continueTrying, true);
  assert.equal(factory.connector, null);
  assert.equal(factory.clock, realClock);
  assert.equal(factory.random, Math.random);
  const built = ReconnectingClientFactory.forProtocol(Recorder);
  assert.ok(built instanceof ReconnectingClientFactory);
  assert.equal(built.protocol, Recorder);
});

Deno.test("without jitter the delays are initialDelay * factor^n seconds, on the clock", () => {
  const { factory, clock, connector } = setup();
  factory.startedConnecting(connector);
  assert.equal(factory.connector, connector);
  let expected = 1;
  for (let n = 1; n <= 5; n++) {
    expected *= E;
    const delay = failOnce(factory, clock, connector);
    assert.equal(delay, expected * 1000);
    assert.equal(factory.delay, expected);
    assert.equal(factory.retries, n);
    clock.advance(delay - 1);
    assert.equal(connector.connects, n - 1, "not before the delay");
    clock.advance(1);
    assert.equal(connector.connects, n, "connect() at the delay");
  }
  // The first retry after a lost connection follows the same rule.
  factory.resetDelay();
  factory.clientConnectionLost(connector, new ConnectionDone());
  assert.ok(scheduledIn(clock, E * 1000));
});

Deno.test("jitter: delay * (1 + jitter * z), z from two draws of random (Box-Muller)", () => {
  const { factory, clock, connector } = setup();
  // z = +1 exactly: sqrt(-2 ln e^-0.5) * cos(0).
  const u1 = 1 - Math.exp(-0.5);
  factory.random = cycle(u1, 0);
  assert.ok(Math.abs(z(u1, 0) - 1) < 1e-12);
  const first = E * (1 + JITTER * z(u1, 0));
  assert.equal(failOnce(factory, clock, connector), first * 1000);
  assert.equal(factory.delay, first);
  // Twisted keeps the jittered delay: the next one grows from it.
  clock.advance(first * 1000);
  const second = first * E * (1 + JITTER * z(u1, 0));
  assert.equal(failOnce(factory, clock, connector), second * 1000);

  // z < 0 shortens the delay (u2 = 0.5: cos(pi) = -1).
  const other = setup();
  other.factory.random = cycle(u1, 0.5);
  const shorter = E * (1 + JITTER * z(u1, 0.5));
  assert.ok(shorter < E);
  assert.equal(
    failOnce(other.factory, other.clock, other.connector),
    shorter * 1000,
  );

  // jitter = 0 draws nothing.
  const none = setup();
  none.factory.jitter = 0;
  none.factory.random = () => assert.fail("random drawn with jitter = 0");
  assert.equal(failOnce(none.factory, none.clock, none.connector), E * 1000);
});

Deno.test("maxDelay is a true cap, jitter included (Twisted #4734 overshoots it)", () => {
  const { factory, clock, connector } = setup();
  factory.maxDelay = 10;
  const u1 = 0.999999; // z about +5.3: the largest jitter a test will see
  factory.random = cycle(u1, 0);
  const delays: number[] = [];
  for (let n = 0; n < 12; n++) {
    const delay = failOnce(factory, clock, connector);
    delays.push(delay);
    clock.advance(delay);
  }
  assert.ok(delays.every((delay) => delay <= 10_000), delays.join(", "));
  assert.equal(delays.at(-1), 10_000, "held at the cap");
  // What Twisted would have scheduled: min(delay * factor, maxDelay), then jitter.
  assert.ok(10 * (1 + JITTER * z(u1, 0)) > 10);
});

Deno.test("property: every delay is within [0, maxDelay] and the first about initialDelay * factor", () => {
  fc.assert(
    fc.property(
      fc.double({ min: 0.01, max: 100, noNaN: true }),
      fc.double({ min: 1, max: 10, noNaN: true }),
      fc.double({ min: 0.01, max: 1000, noNaN: true }),
      fc.double({ min: 0, max: 1, noNaN: true }),
      fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), {
        minLength: 2,
        maxLength: 40,
      }),
      (initialDelay, factor, maxDelay, jitter, draws) => {
        const { factory, clock, connector } = setup();
        Object.assign(factory, { initialDelay, factor, maxDelay, jitter });
        factory.resetDelay();
        factory.random = cycle(...draws);
        for (let n = 0; n < 20; n++) {
          const ms = failOnce(factory, clock, connector);
          const delay = factory.delay;
          if (!(delay >= 0 && delay <= maxDelay)) return false;
          if (n === 0) {
            const base = Math.min(initialDelay * factor, maxDelay);
            const zz = z(draws[0], draws[1]);
            const expected = Math.min(
              Math.max(base * (1 + jitter * zz), 0),
              maxDelay,
            );
            if (Math.abs(delay - expected) > 1e-9 * Math.max(1, expected)) {
              return false;
            }
          }
          clock.advance(ms);
        }
        return true;
      },
    ),
  );
});

Deno.test("maxRetries: gives up after that many consecutive failed attempts", () => {
  const { factory, clock, connector } = setup();
  factory.maxRetries = 3;
  for (let n = 1; n <= 3; n++) {
    clock.advance(failOnce(factory, clock, connector));
  }
  assert.equal(connector.connects, 3);
  factory.clientConnectionFailed(connector, new Error("refused"));
  assert.equal(factory.retries, 4);
  assert.deepEqual(clock.getDelayedCalls(), [], "no fourth retry");
  // maxRetries = 0: never retry.
  const zero = setup();
  zero.factory.maxRetries = 0;
  zero.factory.clientConnectionFailed(zero.connector, new Error("refused"));
  assert.deepEqual(zero.clock.getDelayedCalls(), []);
});

Deno.test("stopTrying cancels the scheduled retry and the attempt in progress", () => {
  const { factory, clock, connector } = setup();
  factory.startedConnecting(connector);
  failOnce(factory, clock, connector);
  factory.stopTrying();
  assert.equal(factory.continueTrying, false);
  assert.deepEqual(clock.getDelayedCalls(), []);
  assert.equal(connector.stops, 1, "stopConnecting on the connector");
  clock.advance(3_600_000);
  assert.equal(connector.connects, 0);
  factory.clientConnectionFailed(connector, new Error("cancelled"));
  factory.clientConnectionLost(connector, new ConnectionDone());
  assert.deepEqual(clock.getDelayedCalls(), [], "no retry after stopTrying");
  // resetDelay (a new successful connection) undoes stopTrying, as in Twisted.
  factory.resetDelay();
  assert.equal(factory.continueTrying, true);
});

Deno.test("a stopped connector is not retried; retry() without a connector is a TypeError", () => {
  const { factory, clock, connector } = setup();
  connector.stopped = true;
  factory.clientConnectionFailed(connector, new Error("aborted"));
  assert.deepEqual(clock.getDelayedCalls(), []);
  assert.throws(() => new ReconnectingClientFactory().retry(), TypeError);
});

Deno.test("a successful connection resets the delay by itself (Twisted #1994)", () => {
  const { factory, clock, connector } = setup();
  for (let n = 0; n < 4; n++) {
    clock.advance(failOnce(factory, clock, connector));
  }
  assert.equal(factory.retries, 4);
  assert.ok(factory.delay > 50);
  const protocol = factory.buildProtocol({
    transport: "tcp",
    hostname: "192.0.2.1",
    port: 9,
  });
  assert.ok(protocol instanceof Protocol);
  assert.equal(protocol.factory, factory);
  assert.equal(factory.delay, 1);
  assert.equal(factory.retries, 0);
  factory.clientConnectionLost(connector, new ConnectionDone());
  assert.equal(factory.delay, E);
  assert.ok(scheduledIn(clock, E * 1000));
});

Deno.test("reconnects for real after the server restarts on the same port", async () => {
  const serverFactory = new ListFactory(() => new Recorder());
  let port = await listen("tcp:0:interface=127.0.0.1", serverFactory);
  const portNumber = portOf(port);
  const clock = new Clock();

  class Client extends Recorder {
    override connectionMade(): void {
      super.connectionMade();
      this.transport!.write("hello");
    }
  }
  const events: string[] = [];
  let next = Promise.withResolvers<string>();
  const note = (event: string): void => {
    events.push(event);
    next.resolve(event);
    next = Promise.withResolvers();
  };
  class Reconnecting extends ReconnectingClientFactory<Client> {
    override protocol = Client;
    override buildProtocol(addr: Deno.Addr): Client | null {
      const protocol = super.buildProtocol(addr);
      note("connected");
      return protocol;
    }
    override clientConnectionFailed(connector: Connector, reason: Error): void {
      note(`failed:${reason.name}`);
      super.clientConnectionFailed(connector, reason);
    }
    override clientConnectionLost(
      connector: Connector,
      reason: ConnectionClosed,
    ): void {
      note(`lost:${reason.name}`);
      super.clientConnectionLost(connector, reason);
    }
  }
  const factory = new Reconnecting();
  factory.clock = clock;
  factory.random = () => 0;
  const where = `tcp:host=127.0.0.1:port=${portNumber}`;
  const first = await connect(where, factory, { clock });
  assert.equal((await serverFactory.nth(0)) instanceof Recorder, true);
  await (await serverFactory.nth(0)).waitFor(5);

  // The server goes away: the client is told, and a retry is scheduled.
  let event = next.promise;
  await port.close();
  assert.equal(await event, "lost:ConnectionDone");
  assert.ok(first.reason instanceof ConnectionDone);
  assert.equal(factory.delay, E);
  assert.ok(scheduledIn(clock, E * 1000));

  // Nobody listens yet: the retry is refused, and the next delay grows.
  event = next.promise;
  clock.advance(E * 1000);
  assert.equal(await event, `failed:${ConnectionRefusedError.name}`);
  assert.equal(factory.retries, 2);
  assert.equal(factory.delay, E * E);
  assert.ok(scheduledIn(clock, E * E * 1000));

  // The server is back on the same port: the next retry connects.
  port = await listen(
    `tcp:${portNumber}:interface=127.0.0.1`,
    serverFactory,
  );
  event = next.promise;
  clock.advance(E * E * 1000);
  assert.equal(await event, "connected");
  assert.equal(factory.delay, 1, "resetDelay on success");
  assert.equal(factory.retries, 0);
  const server = await serverFactory.nth(1);
  await server.waitFor(5);
  assert.equal(server.text, "hello");
  assert.deepEqual(events, [
    "connected",
    "lost:ConnectionDone",
    "failed:ConnectionRefusedError",
    "connected",
  ]);

  // stopTrying, then close: no more attempts.
  factory.stopTrying();
  event = next.promise;
  factory.connector!.disconnect();
  assert.equal(await event, "lost:ConnectionDone");
  clock.advance(3_600_000);
  assert.deepEqual(
    clock.getDelayedCalls().filter((call) => call.active),
    [],
  );
  await port.close();
});

Deno.test("stopTrying during an attempt in progress cancels it; a signal abort stops the retries", async () => {
  const clock = new Clock();
  // An attempt held in progress by an endpoint whose dial waits for us.
  const gate = Promise.withResolvers<void>();
  const endpoint = {
    timeout: 30,
    getDestination: (): Deno.Addr => new FakeConnector().getDestination(),
    dial: async ({ signal }: { signal?: AbortSignal } = {}) => {
      await gate.promise;
      signal?.throwIfAborted();
      throw new Error("not reached");
    },
  };
  const factory = ReconnectingClientFactory.forProtocol(Protocol);
  factory.clock = clock;
  const failed = connect(endpoint, factory, { clock }).catch((e) => e);
  factory.stopTrying();
  const error = await failed;
  assert.equal(error.name, "ConnectingCancelledError");
  assert.deepEqual(clock.getDelayedCalls(), [], "no retry after stopTrying");

  const other = ReconnectingClientFactory.forProtocol(Protocol);
  other.clock = clock;
  const controller = new AbortController();
  const aborted = connect(endpoint, other, {
    clock,
    signal: controller.signal,
  }).catch((e) => e);
  controller.abort(new Error("bye"));
  assert.equal((await aborted).message, "bye");
  assert.equal(other.continueTrying, true);
  assert.deepEqual(
    clock.getDelayedCalls(),
    [],
    "a connector stopped by its signal is not retried",
  );
  gate.resolve();
});
