// Clock: the fake clock every timeout in the library runs on in tests.

import assert from "node:assert/strict";
import fc from "fast-check";
import type { ReactorTime } from "../../protocols/reactor_time.ts";
import { Clock } from "../../testing/clock.ts";

Deno.test("Clock: starts at 0 and is a ReactorTime", () => {
  const clock: ReactorTime = new Clock();
  assert.equal(clock.now(), 0);
  assert.equal((clock as Clock).getDelayedCalls().length, 0);
});

Deno.test("Clock: advance moves now() and advance(0) keeps it", () => {
  const clock = new Clock();
  clock.advance(10);
  assert.equal(clock.now(), 10);
  clock.advance(0);
  assert.equal(clock.now(), 10);
  clock.advance(0.5);
  assert.equal(clock.now(), 10.5);
});

Deno.test("Clock: callLater runs in time order, then in scheduling order", () => {
  const clock = new Clock();
  const ran: string[] = [];
  clock.callLater(30, () => ran.push("c30"));
  clock.callLater(10, () => ran.push("a10"));
  clock.callLater(20, () => ran.push("b20-1"));
  clock.callLater(20, () => ran.push("b20-2"));
  clock.callLater(10, () => ran.push("a10-2"));
  clock.callLater(20, () => ran.push("b20-3"));
  clock.advance(100);
  assert.deepEqual(ran, ["a10", "a10-2", "b20-1", "b20-2", "b20-3", "c30"]);
});

Deno.test("Clock: a call sees now() equal to its due time", () => {
  const clock = new Clock();
  const seen: number[] = [];
  clock.callLater(7, () => seen.push(clock.now()));
  clock.callLater(3, () => seen.push(clock.now()));
  clock.advance(10);
  assert.deepEqual(seen, [3, 7]);
  assert.equal(clock.now(), 10);
});

Deno.test("Clock: advance runs due calls only", () => {
  const clock = new Clock();
  const ran: number[] = [];
  for (const t of [5, 10, 15]) clock.callLater(t, () => ran.push(t));
  clock.advance(4);
  assert.deepEqual(ran, []);
  clock.advance(1); // exactly due
  assert.deepEqual(ran, [5]);
  clock.advance(4.5);
  assert.deepEqual(ran, [5]);
  clock.advance(0.5);
  assert.deepEqual(ran, [5, 10]);
  assert.deepEqual(clock.getDelayedCalls().map((c) => c.time), [15]);
  clock.advance(100);
  assert.deepEqual(ran, [5, 10, 15]);
  assert.equal(clock.getDelayedCalls().length, 0);
});

Deno.test("Clock: delays count from now()", () => {
  const clock = new Clock();
  clock.advance(100);
  let ran = false;
  const call = clock.callLater(50, () => ran = true);
  assert.equal(call.time, 150);
  clock.advance(49);
  assert.equal(ran, false);
  clock.advance(1);
  assert.equal(ran, true);
});

Deno.test("Clock: calls scheduled during advance run in the same advance if due", () => {
  const clock = new Clock();
  const ran: [string, number][] = [];
  clock.callLater(3, () => {
    ran.push(["first", clock.now()]);
    clock.callLater(5, () => {
      ran.push(["nested", clock.now()]);
      clock.callLater(2, () => ran.push(["at end", clock.now()]));
      clock.callLater(3, () => ran.push(["too late", clock.now()]));
    });
    clock.callLater(0, () => ran.push(["now", clock.now()]));
  });
  clock.callLater(4, () => ran.push(["second", clock.now()]));
  clock.advance(10);
  assert.deepEqual(ran, [
    ["first", 3],
    ["now", 3],
    ["second", 4],
    ["nested", 8],
    ["at end", 10],
  ]);
  assert.equal(clock.now(), 10);
  clock.advance(1);
  assert.deepEqual(ran.at(-1), ["too late", 11]);
});

Deno.test("Clock: a call scheduled during advance at an earlier time than pending ones runs first", () => {
  const clock = new Clock();
  const ran: string[] = [];
  clock.callLater(1, () => {
    ran.push("a");
    clock.callLater(1, () => ran.push("b at 2"));
  });
  clock.callLater(2, () => ran.push("c at 2"));
  clock.callLater(5, () => ran.push("d"));
  clock.advance(5);
  // "b" is due at 2 like "c" but was scheduled later.
  assert.deepEqual(ran, ["a", "c at 2", "b at 2", "d"]);
});

Deno.test("Clock: a call that reschedules itself runs once per period", () => {
  const clock = new Clock();
  const ticks: number[] = [];
  const tick = (): void => {
    ticks.push(clock.now());
    clock.callLater(10, tick);
  };
  clock.callLater(10, tick);
  clock.advance(35);
  assert.deepEqual(ticks, [10, 20, 30]);
  clock.advance(5);
  assert.deepEqual(ticks, [10, 20, 30, 40]);
});

Deno.test("Clock: callLater(0) runs on advance(0), not before", () => {
  const clock = new Clock();
  let ran = 0;
  clock.callLater(0, () => ran++);
  assert.equal(ran, 0);
  clock.advance(0);
  assert.equal(ran, 1);
  clock.advance(0);
  assert.equal(ran, 1);
});

Deno.test("Clock: negative and NaN delays count as 0, Infinity never falls due", () => {
  const clock = new Clock();
  const ran: string[] = [];
  clock.advance(5);
  const neg = clock.callLater(-10, () => ran.push("neg"));
  const nan = clock.callLater(NaN, () => ran.push("nan"));
  const inf = clock.callLater(Infinity, () => ran.push("inf"));
  clock.callLater(1, () => ran.push("one"));
  assert.equal(neg.time, 5);
  assert.equal(nan.time, 5);
  assert.equal(inf.time, Infinity);
  clock.advance(0);
  assert.deepEqual(ran, ["neg", "nan"]);
  clock.advance(1e12);
  assert.deepEqual(ran, ["neg", "nan", "one"]);
  assert.equal(inf.active, true);
  inf.cancel();
  assert.equal(clock.getDelayedCalls().length, 0);
});

Deno.test("Clock: active is true until the call runs", () => {
  const clock = new Clock();
  let activeInside: boolean | undefined;
  const call = clock.callLater(1, () => activeInside = call.active);
  assert.equal(call.active, true);
  clock.advance(1);
  assert.equal(activeInside, false);
  assert.equal(call.active, false);
});

Deno.test("Clock: cancel stops a call; cancelling twice or after it ran is a no-op", () => {
  const clock = new Clock();
  const ran: string[] = [];
  const a = clock.callLater(1, () => ran.push("a"));
  const b = clock.callLater(2, () => ran.push("b"));
  const c = clock.callLater(3, () => ran.push("c"));
  b.cancel();
  assert.equal(b.active, false);
  b.cancel();
  assert.equal(b.active, false);
  assert.deepEqual(clock.getDelayedCalls(), [a, c]);
  clock.advance(1);
  assert.deepEqual(ran, ["a"]);
  a.cancel(); // already ran
  assert.equal(a.active, false);
  assert.deepEqual(clock.getDelayedCalls(), [c]);
  clock.advance(5);
  assert.deepEqual(ran, ["a", "c"]);
});

Deno.test("Clock: a call can cancel a later call in the same advance", () => {
  const clock = new Clock();
  const ran: string[] = [];
  const later = clock.callLater(5, () => ran.push("later"));
  clock.callLater(1, () => {
    ran.push("first");
    later.cancel();
  });
  clock.advance(10);
  assert.deepEqual(ran, ["first"]);
  assert.equal(later.active, false);
});

Deno.test("Clock: a call cancelling itself while running is harmless", () => {
  const clock = new Clock();
  const ran: string[] = [];
  const self = clock.callLater(1, () => {
    ran.push("self");
    self.cancel();
  });
  const other = clock.callLater(1, () => ran.push("other"));
  clock.advance(1);
  assert.deepEqual(ran, ["self", "other"]);
  assert.equal(other.active, false);
});

Deno.test("Clock: cancelling one of several calls due at the same time keeps the others' order", () => {
  const clock = new Clock();
  const ran: number[] = [];
  const calls = [0, 1, 2, 3, 4].map((i) =>
    clock.callLater(7, () => ran.push(i))
  );
  calls[2].cancel();
  calls[0].cancel();
  clock.advance(7);
  assert.deepEqual(ran, [1, 3, 4]);
});

Deno.test("Clock: advance refuses negative, NaN and infinite amounts", () => {
  const clock = new Clock();
  let ran = false;
  clock.callLater(1, () => ran = true);
  clock.advance(0.5);
  assert.throws(() => clock.advance(-1), RangeError);
  assert.throws(() => clock.advance(-0.001), {
    name: "RangeError",
    message: "Cannot advance a clock backwards: -0.001 ms",
  });
  assert.throws(() => clock.advance(NaN), {
    name: "RangeError",
    message: "Cannot advance a clock by a non-finite amount: NaN ms",
  });
  assert.throws(() => clock.advance(Infinity), RangeError);
  assert.throws(() => clock.advance(-Infinity), RangeError);
  // Nothing changed.
  assert.equal(clock.now(), 0.5);
  assert.equal(ran, false);
  assert.equal(clock.getDelayedCalls().length, 1);
  clock.advance(0.5);
  assert.equal(ran, true);
});

Deno.test("Clock: a call that throws stops advance at its time; the rest run later", () => {
  const clock = new Clock();
  const ran: [string, number][] = [];
  clock.callLater(2, () => ran.push(["before", clock.now()]));
  clock.callLater(3, () => {
    throw new Error("boom");
  });
  clock.callLater(4, () => ran.push(["after", clock.now()]));
  assert.throws(() => clock.advance(10), { message: "boom" });
  assert.deepEqual(ran, [["before", 2]]);
  assert.equal(clock.now(), 3);
  clock.advance(1);
  assert.deepEqual(ran, [["before", 2], ["after", 4]]);
  assert.equal(clock.now(), 4);
});

Deno.test("Clock: pump advances by each step in turn", () => {
  const clock = new Clock();
  const seen: number[] = [];
  for (const t of [1, 3, 6, 10]) {
    clock.callLater(t, () => seen.push(clock.now()));
  }
  clock.pump([1, 1, 1, 3]);
  assert.equal(clock.now(), 6);
  assert.deepEqual(seen, [1, 3, 6]);
  clock.pump([]);
  assert.equal(clock.now(), 6);
  function* steps(): Generator<number> {
    yield 2;
    yield 2;
  }
  clock.pump(steps());
  assert.equal(clock.now(), 10);
  assert.deepEqual(seen, [1, 3, 6, 10]);
  assert.throws(() => clock.pump([1, -1]), RangeError);
  assert.equal(clock.now(), 11);
});

Deno.test("Clock: getDelayedCalls lists pending calls soonest first, as a copy", () => {
  const clock = new Clock();
  const c = clock.callLater(30, () => {});
  const a = clock.callLater(10, () => {});
  const b = clock.callLater(20, () => {});
  const b2 = clock.callLater(20, () => {});
  const list = clock.getDelayedCalls();
  assert.deepEqual(list, [a, b, b2, c]);
  assert.deepEqual(list.map((call) => call.time), [10, 20, 20, 30]);
  assert.ok(list.every((call) => call.active));
  list.length = 0;
  assert.equal(clock.getDelayedCalls().length, 4);
  clock.advance(20);
  assert.deepEqual(clock.getDelayedCalls(), [c]);
});

Deno.test("Clock: independent clocks do not share calls or time", () => {
  const one = new Clock();
  const two = new Clock();
  let ran = false;
  one.callLater(1, () => ran = true);
  two.advance(5);
  assert.equal(ran, false);
  assert.equal(one.now(), 0);
  assert.equal(two.getDelayedCalls().length, 0);
});

Deno.test("Clock: property: calls run in (time, scheduling) order at their due time", () => {
  const op = fc.oneof(
    fc.record({
      kind: fc.constant("schedule" as const),
      delay: fc.integer({ min: -5, max: 50 }),
    }),
    fc.record({ kind: fc.constant("cancel" as const), index: fc.nat() }),
    fc.record({
      kind: fc.constant("advance" as const),
      ms: fc.integer({ min: 0, max: 30 }),
    }),
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
      const clock = new Clock();
      // A simple model: every call with its due time and scheduling number.
      type Model = {
        time: number;
        seq: number;
        cancelled: boolean;
        ran: boolean;
      };
      const model: Model[] = [];
      const handles: { cancel(): void; active: boolean }[] = [];
      const ran: { seq: number; at: number }[] = [];
      let now = 0;
      for (const o of ops) {
        if (o.kind === "schedule") {
          const seq = model.length;
          model.push({
            time: now + Math.max(0, o.delay),
            seq,
            cancelled: false,
            ran: false,
          });
          handles.push(
            clock.callLater(o.delay, () => ran.push({ seq, at: clock.now() })),
          );
        } else if (o.kind === "cancel") {
          if (model.length === 0) continue;
          const i = o.index % model.length;
          handles[i].cancel();
          if (!model[i].ran) model[i].cancelled = true;
        } else {
          const end = now + o.ms;
          const due = model
            .filter((m) => !m.cancelled && !m.ran && m.time <= end)
            .sort((x, y) => x.time - y.time || x.seq - y.seq);
          const before = ran.length;
          clock.advance(o.ms);
          now = end;
          assert.deepEqual(
            ran.slice(before),
            due.map((m) => ({ seq: m.seq, at: m.time })),
          );
          for (const m of due) m.ran = true;
          assert.equal(clock.now(), now);
        }
        for (let i = 0; i < model.length; i++) {
          assert.equal(handles[i].active, !model[i].cancelled && !model[i].ran);
        }
        assert.deepEqual(
          clock.getDelayedCalls().map((c) => c.time),
          model.filter((m) => !m.cancelled && !m.ran)
            .sort((x, y) => x.time - y.time || x.seq - y.seq)
            .map((m) => m.time),
        );
      }
    }),
  );
});
