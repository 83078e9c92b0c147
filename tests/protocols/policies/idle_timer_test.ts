// IdleTimer; vectors ported from Twisted's test_policies.py TimeoutMixinTests
// (seconds there, milliseconds here).

import assert from "node:assert/strict";
import { Protocol } from "../../../mod.ts";
import { IdleTimer } from "../../../protocols/policies/mod.ts";
import { Clock, StringTransport } from "../../../testing/mod.ts";
import { b } from "./_policies.ts";

/** Twisted's TimeoutTester: a protocol with a 3 s idle timer. */
class TimeoutTester extends Protocol {
  timedOut = 0;
  timer: IdleTimer;
  constructor(readonly clock: Clock) {
    super();
    this.timer = new IdleTimer(() => this.timedOut++, { clock });
  }
  override connectionMade(): void {
    this.timer.setTimeout(3000);
  }
  override dataReceived(_data: Uint8Array): void {
    this.timer.resetTimeout();
  }
  override connectionLost(): void {
    this.timer.setTimeout(null);
  }
}

function tester(): { proto: TimeoutTester; clock: Clock } {
  const clock = new Clock();
  return { proto: new TimeoutTester(clock), clock };
}

Deno.test("IdleTimer: runs on the given clock (test_overriddenCallLater)", () => {
  const { proto, clock } = tester();
  proto.timer.setTimeout(10_000);
  assert.equal(clock.getDelayedCalls().length, 1);
  assert.equal(proto.timer.active, true);
});

Deno.test("IdleTimer: fires after the period, once (test_timeout)", () => {
  const { proto, clock } = tester();
  proto.makeConnection(new StringTransport());
  clock.pump([0, 500, 1000, 1000]);
  assert.equal(proto.timedOut, 0);
  clock.pump([0, 1000]);
  assert.equal(proto.timedOut, 1);
  assert.equal(proto.timer.active, false);
  clock.pump([5000, 5000]);
  assert.equal(proto.timedOut, 1);
});

Deno.test("IdleTimer: activity pushes the deadline back (test_noTimeout)", () => {
  const { proto, clock } = tester();
  proto.makeConnection(new StringTransport());
  clock.pump([0, 500, 1000, 1000]);
  assert.equal(proto.timedOut, 0);
  proto.dataReceived(b("hello there"));
  clock.pump([0, 1000, 1000, 500]);
  assert.equal(proto.timedOut, 0);
  clock.pump([0, 1000]);
  assert.equal(proto.timedOut, 1);
});

Deno.test("IdleTimer: setTimeout replaces the period (test_resetTimeout)", () => {
  const { proto, clock } = tester();
  proto.timer.setTimeout(null);
  proto.timer.setTimeout(1000);
  assert.equal(proto.timer.timeout, 1000);
  clock.pump([0, 900]);
  assert.equal(proto.timedOut, 0);
  clock.pump([0, 200]);
  assert.equal(proto.timedOut, 1);
});

Deno.test("IdleTimer: setTimeout(null) cancels (test_cancelTimeout)", () => {
  const { proto, clock } = tester();
  proto.makeConnection(new StringTransport());
  proto.timer.setTimeout(null);
  assert.equal(proto.timer.timeout, null);
  assert.equal(clock.getDelayedCalls().length, 0);
  clock.pump([0, 5000, 5000, 5000]);
  assert.equal(proto.timedOut, 0);
});

Deno.test("IdleTimer: setTimeout returns the previous period (test_setTimeoutReturn)", () => {
  const timer = new IdleTimer(() => {}, { clock: new Clock() });
  assert.equal(timer.setTimeout(5000), null);
  assert.equal(timer.setTimeout(10_000), 5000);
  assert.equal(timer.setTimeout(null), 10_000);
  assert.equal(timer.setTimeout(1000), null);
  assert.equal(timer.timeout, 1000);
  timer.cancel();
  assert.equal(timer.timeout, null);
});

Deno.test("IdleTimer: cancelling a call cancelled elsewhere is fine (test_setTimeoutCancleAlreadyCancelled)", () => {
  const { proto, clock } = tester();
  proto.timer.setTimeout(3000);
  clock.getDelayedCalls()[0].cancel();
  assert.notEqual(proto.timer.timeout, null);
  assert.equal(proto.timer.active, false);
  proto.timer.resetTimeout();
  proto.timer.setTimeout(null);
  assert.equal(proto.timer.timeout, null);
});

Deno.test("IdleTimer: resetTimeout does nothing before setTimeout and after firing", () => {
  const clock = new Clock();
  let fired = 0;
  const timer = new IdleTimer(() => fired++, { clock });
  timer.resetTimeout();
  assert.equal(clock.getDelayedCalls().length, 0);
  timer.setTimeout(100);
  clock.advance(100);
  assert.equal(fired, 1);
  timer.resetTimeout();
  clock.advance(1000);
  assert.equal(fired, 1);
  assert.equal(timer.timeout, 100);
  timer.setTimeout(100); // re-armed explicitly
  clock.advance(100);
  assert.equal(fired, 2);
});

Deno.test("IdleTimer: a reset costs no timer: one call pending whatever the activity", () => {
  const clock = new Clock();
  let fired = 0;
  const timer = new IdleTimer(() => fired++, { clock });
  timer.setTimeout(1000);
  for (let t = 0; t < 10_000; t += 10) {
    clock.advance(10);
    timer.resetTimeout();
    assert.ok(clock.getDelayedCalls().length <= 1);
  }
  assert.equal(fired, 0);
  clock.advance(999);
  assert.equal(fired, 0);
  clock.advance(1);
  assert.equal(fired, 1);
});

Deno.test("IdleTimer: fractional periods do not re-arm forever", () => {
  const clock = new Clock();
  let fired = 0;
  const timer = new IdleTimer(() => fired++, { clock });
  timer.setTimeout(0.3);
  clock.advance(0.1);
  timer.resetTimeout();
  clock.advance(0.2);
  timer.resetTimeout();
  clock.advance(1);
  assert.equal(fired, 1);
});

Deno.test("IdleTimer: bad periods are refused", () => {
  const timer = new IdleTimer(() => {}, { clock: new Clock() });
  assert.throws(() => timer.setTimeout(-1), RangeError);
  assert.throws(() => timer.setTimeout(NaN), RangeError);
  assert.throws(() => timer.setTimeout(Infinity), RangeError);
  assert.throws(() => timer.setTimeout("5" as unknown as number), TypeError);
  assert.equal(timer.timeout, null);
});

Deno.test("IdleTimer: runs on real time by default", async () => {
  const { promise, resolve } = Promise.withResolvers<void>();
  const timer = new IdleTimer(resolve);
  timer.setTimeout(1);
  await promise;
  assert.equal(timer.active, false);
});
