// The reconnecting client example against the echo example: in-process on
// the fake clock, and as two processes the way a user runs them, across a
// restart of the echo server.

import assert from "node:assert/strict";
import { listen } from "../../mod.ts";
import { Clock } from "../../testing/mod.ts";
import { connect } from "../../endpoints/connect.ts";
import {
  defaultDescription,
  main,
  PingClientFactory,
} from "../../examples/client.ts";
import { factory as echoFactory } from "../../examples/echo.ts";
import { type Running, start } from "../_process.ts";
import { portOf } from "../_net.ts";

/** Resolves when a line matching `pattern` is logged (now or later). */
class Log {
  lines: string[] = [];
  #waiters: { pattern: RegExp; from: number; resolve: () => void }[] = [];

  add = (line: string): void => {
    this.lines.push(line);
    this.#waiters = this.#waiters.filter((waiter) => {
      if (!this.#seen(waiter.pattern, waiter.from)) return true;
      waiter.resolve();
      return false;
    });
  };

  /** Wait for a line matching `pattern` among those logged from index `from`. */
  waitFor(pattern: RegExp, from = this.lines.length): Promise<void> {
    if (this.#seen(pattern, from)) return Promise.resolve();
    const { promise, resolve } = Promise.withResolvers<void>();
    this.#waiters.push({ pattern, from, resolve });
    return promise;
  }

  #seen(pattern: RegExp, from: number): boolean {
    return this.lines.slice(from).some((line) => pattern.test(line));
  }
}

Deno.test("client example in-process: pings every second on the clock, reconnects after a restart", async () => {
  let server = await listen("tcp:0:interface=127.0.0.1", echoFactory);
  const port = portOf(server);
  const clock = new Clock();
  const log = new Log();
  const factory = new PingClientFactory();
  factory.clock = clock;
  factory.random = () => 0;
  factory.log = log.add;

  let seen = log.waitFor(/^received: ping 1$/, 0);
  await connect(`tcp:host=127.0.0.1:port=${port}`, factory, { clock });
  await seen;
  seen = log.waitFor(/^received: ping 2$/);
  clock.advance(1000);
  await seen;

  // The server restarts: the client notices, retries on the clock, carries on.
  seen = log.waitFor(/^connection lost/);
  await server.close();
  await seen;
  assert.equal(factory.current, null);
  server = await listen(`tcp:${port}:interface=127.0.0.1`, echoFactory);
  seen = log.waitFor(/^received: ping 3$/);
  clock.advance(Math.E * 1000);
  await seen;

  assert.deepEqual(log.lines, [
    "connected",
    "received: ping 1",
    "received: ping 2",
    "connection lost: Connection was closed cleanly",
    "reconnecting in 2.7 s",
    "connected",
    "received: ping 3",
  ]);
  factory.stopTrying();
  const current = factory.current!;
  current.transport!.loseConnection();
  await current.closed.promise;
  assert.equal(factory.continueTrying, false);
  clock.advance(10_000); // ends the linger after a clean close, if still on
  await server.close();
});

Deno.test("client example: bad arguments exit 2", async () => {
  assert.equal(defaultDescription, "tcp:host=127.0.0.1:port=8007");
  const errors: string[] = [];
  const original = console.error;
  console.error = (line: string) => errors.push(line);
  const log = console.log;
  console.log = () => {};
  try {
    assert.equal(await main(["--max-delay=soon"]), 2);
    assert.equal(await main(["--verbose"]), 2);
    assert.equal(await main(["tcp:host=127.0.0.1"]), 2);
  } finally {
    console.error = original;
    console.log = log;
  }
  assert.match(errors[0], /Invalid --max-delay/);
  assert.match(errors[1], /Unknown option: --verbose/);
  assert.match(errors[2], /Invalid port/);
});

Deno.test("client example against the echo example, as processes: survives an echo restart, exits 0 on SIGTERM", async () => {
  let echo: Running = await start("examples/echo.ts", [
    "tcp:0:interface=127.0.0.1",
  ]);
  const port = echo.ports[0];
  const client = await start(
    "examples/client.ts",
    [`tcp:host=127.0.0.1:port=${port}`, "--max-delay=0.1"],
    0,
  );
  const seen: string[] = [];
  const until = async (pattern: RegExp): Promise<void> => {
    while (true) {
      const { value, done } = await client.lines.next();
      if (done) assert.fail(`client exited; it printed:\n${seen.join("\n")}`);
      seen.push(value);
      if (pattern.test(value)) return;
    }
  };
  try {
    await until(/^received: ping 1$/);
    assert.deepEqual(seen.slice(0, 2), [
      `connecting to tcp:host=127.0.0.1:port=${port}`,
      "connected",
    ]);
    assert.equal((await echo.stop("SIGTERM")).code, 0);
    await until(/^connection lost/);
    echo = await start("examples/echo.ts", [`tcp:${port}:interface=127.0.0.1`]);
    await until(/^connected$/);
    await until(/^received: ping \d+$/);
  } finally {
    const { code } = await client.stop("SIGTERM");
    assert.equal(code, 0);
    assert.equal((await echo.stop("SIGTERM")).code, 0);
  }
});
