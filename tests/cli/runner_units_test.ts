// The runner's pure parts, without a process: what a module must export
// (runner/_load.ts), the control line between worker and supervisor
// (runner/_worker.ts), the logger (runner/_log.ts) and exit codes
// (runner/_serve.ts).

import assert from "node:assert/strict";
import { Factory } from "../../protocols/factory.ts";
import { Protocol } from "../../protocols/protocol.ts";
import { ModuleError, servicesOf } from "../../runner/_load.ts";
import { EXIT_BIND, EXIT_FAILURE, EXIT_USAGE } from "../../runner/_exit.ts";
import { Logger } from "../../runner/_log.ts";
import { exitCodeOf } from "../../runner/_serve.ts";
import { controlLine, parseControl } from "../../runner/_worker.ts";

const factory = Factory.forProtocol(Protocol);

Deno.test("servicesOf: services, factory and a Protocol default export are each accepted", () => {
  const [one, two] = servicesOf({
    services: [{ factory, defaults: ["tcp:1"] }, { factory }],
  }, "m.ts");
  assert.equal(one.factory, factory);
  assert.deepEqual(one.defaults, ["tcp:1"]);
  assert.equal(two.defaults, undefined);
  assert.equal(servicesOf({ factory }, "m.ts")[0].factory, factory);
  class Hello extends Protocol {}
  const [byClass] = servicesOf({ default: Hello, defaults: ["tcp:2"] }, "m.ts");
  assert.deepEqual(byClass.defaults, ["tcp:2"]);
});

Deno.test("servicesOf: each malformed export is a ModuleError that names it", () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ services: [] }, /services is not a non-empty array: m\.ts/],
    [{ services: "x" }, /services is not a non-empty array/],
    [{ services: [null] }, /services\[0\] is not an object/],
    [
      { services: [{ factory: {} }] },
      /services\[0\]\.factory is not a Factory/,
    ],
    [
      { services: [{ factory, defaults: [1] }] },
      /services\[0\]\.defaults is not an array of descriptions/,
    ],
    [{ factory, defaults: "tcp:1" }, /export defaults is not an array/],
    [{ factory: 42 }, /export factory is not a Factory/],
    [{ default: class NotAProtocol {} }, /exports no factory: m\.ts/],
    [{}, /exports no factory/],
  ];
  for (const [exports, message] of cases) {
    assert.throws(() => servicesOf(exports, "m.ts"), (error: unknown) => {
      assert.ok(error instanceof ModuleError);
      assert.match(error.message, message);
      return true;
    });
  }
});

Deno.test("parseControl: reads back what controlLine wrote; anything else is ordinary output", () => {
  const line = controlLine({ ready: ["tcp:8007"] });
  assert.deepEqual(parseControl(line), { ready: ["tcp:8007"] });
  const prefix = line.slice(0, line.indexOf("{"));
  assert.equal(parseControl("hello"), null);
  assert.equal(parseControl(prefix + "{not json"), null);
  assert.equal(parseControl(prefix + JSON.stringify({ ready: "x" })), null);
  assert.equal(parseControl(prefix + "null"), null);
});

Deno.test("Logger: a child adds its fields to every event and writes where its parent does", () => {
  const out: string[] = [];
  const err: string[] = [];
  const parent = new Logger({
    format: "json",
    level: "info",
    fields: { service: "echo" },
    stdout: (line) => out.push(line),
    stderr: (line) => err.push(line),
  });
  const child = parent.child({ worker: 2 });
  assert.equal(child.format, "json");
  assert.equal(child.level, "info");
  child.debug("hidden");
  child.warn("slow", { ms: 5 });
  assert.equal(out.length, 1);
  const record = JSON.parse(out[0]);
  assert.equal(record.msg, "slow");
  assert.equal(record.level, "warn");
  assert.equal(record.service, "echo");
  assert.equal(record.worker, 2);
  assert.equal(record.ms, 5);
  const text = new Logger({
    format: "text",
    stdout: (line) => out.push(line),
    stderr: (line) => err.push(line),
  }).child({ worker: 3 });
  text.error("boom", { error: new Error("bad") });
  assert.match(err.at(-1)!, /ERROR boom worker=3 error="Error: bad"/);
});

Deno.test("exitCodeOf: usage errors 2, binding errors 4, anything else 1", () => {
  assert.equal(exitCodeOf(new TypeError("bad description")), EXIT_USAGE);
  for (
    const error of [
      new Deno.errors.AddrInUse(),
      new Deno.errors.AddrNotAvailable(),
      new Deno.errors.PermissionDenied(),
      new Deno.errors.NotCapable(),
    ]
  ) {
    assert.equal(exitCodeOf(error), EXIT_BIND, error.name);
  }
  assert.equal(exitCodeOf(new Error("other")), EXIT_FAILURE);
  assert.equal(exitCodeOf("not even an error"), EXIT_FAILURE);
});
