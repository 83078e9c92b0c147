// `cli.ts serve` in one process, as users run it: real processes on
// loopback, waits on the lines the runner prints.

import assert from "node:assert/strict";
import { decoder, encoder, readAll, readN } from "../_net.ts";
import {
  checkBurst,
  greeting,
  listeningPort,
  runToEnd,
  startRunner,
} from "./_cli.ts";

const local = "tcp:0:interface=127.0.0.1";
const fixture = "tests/cli/fixtures/pid_protocol.ts";

Deno.test("cli: serves an example module end to end and exits 0 on SIGTERM", async () => {
  const runner = startRunner(["serve", "examples/echo.ts", local, local]);
  const ports = [await listeningPort(runner), await listeningPort(runner)];
  const payload = new Uint8Array(1 << 20).map((_, i) => i % 253);
  for (const port of ports) {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    const writing = (async () => {
      for (let sent = 0; sent < payload.length;) {
        sent += await conn.write(payload.subarray(sent));
      }
    })();
    assert.deepEqual(await readN(conn, payload.length), payload);
    await writing;
    conn.close();
  }
  // An idle connection open at SIGTERM is closed cleanly (end of stream).
  const idle = await Deno.connect({ hostname: "127.0.0.1", port: ports[0] });
  await idle.write(encoder.encode("ping"));
  assert.equal(decoder.decode(await readN(idle, 4)), "ping");
  runner.child.kill("SIGTERM");
  assert.equal((await readAll(idle)).length, 0);
  idle.close();
  assert.equal(await runner.exited, 0);
  assert.match(
    runner.stderr.text,
    /INFO closing reason=SIGTERM connections=\d/,
  );
});

Deno.test("cli: a Protocol subclass as the default export is served", async () => {
  const runner = startRunner(["serve", fixture, local]);
  const { conn, pid } = await greeting(await listeningPort(runner));
  assert.equal(pid, runner.child.pid);
  await conn.write(encoder.encode("hello\n"));
  assert.equal(decoder.decode(await readN(conn, 6)), "hello\n");
  conn.close();
  assert.equal(await runner.stop("SIGINT"), 0);
});

Deno.test("cli: bytes in flight at SIGTERM are all delivered within the grace period", async () => {
  const runner = startRunner(["serve", fixture, local, "--grace", "60000"]);
  const { conn } = await greeting(await listeningPort(runner));
  const size = 16 << 20;
  await conn.write(encoder.encode(`burst ${size}\n`));
  const first = await readN(conn, 1);
  // The whole burst is written (buffered by the server) before its first byte leaves.
  runner.child.kill("SIGTERM");
  await runner.stderr.next(/INFO closing reason=SIGTERM connections=1/);
  const rest = await readAll(conn);
  conn.close();
  assert.equal(1 + rest.length, size);
  assert.ok(checkBurst(first) && checkBurst(rest, 1));
  assert.equal(await runner.exited, 0);
});

Deno.test("cli: connections still open after --grace are aborted, and the exit is 0", async () => {
  const runner = startRunner(["serve", fixture, local, "--grace", "100"]);
  const { conn } = await greeting(await listeningPort(runner));
  // Far more than loopback socket buffers hold: the client reads nothing
  // until the server has given up on it.
  const size = 64 << 20;
  await conn.write(encoder.encode(`burst ${size}\n`));
  await readN(conn, 1);
  assert.equal(await runner.stop("SIGTERM"), 0);
  const rest = await readAll(conn);
  conn.close();
  assert.ok(rest.length + 1 < size, `${rest.length + 1} of ${size} bytes`);
  assert.ok(checkBurst(rest, 1));
});

Deno.test("cli: an exception in a protocol is logged at error level with its stack", async () => {
  const runner = startRunner(["serve", fixture, local]);
  const { conn } = await greeting(await listeningPort(runner));
  await conn.write(encoder.encode("boom\n"));
  assert.equal((await readAll(conn)).length, 0); // aborted
  conn.close();
  const [line] = await runner.stderr.next(
    /ERROR connection error port=.* peer=127\.0\.0\.1:\d+ error="Error: boom from the fixture"/,
  );
  assert.ok(line);
  await runner.stderr.next(/^\s+at .*pid_protocol\.ts/);
  assert.equal(await runner.stop(), 0);
});

Deno.test("cli: --log-format json writes JSON lines on stdout; --log-level filters", async () => {
  const runner = startRunner([
    "serve",
    fixture,
    local,
    "--log-format=json",
    "--log-level",
    "warn",
  ]);
  const { input } = await runner.stdout.next(/"event":"listening"/);
  const event = JSON.parse(input);
  assert.equal(event.level, "info");
  assert.match(event.msg, /^listening on tcp:\d+:interface=127\.0\.0\.1$/);
  assert.equal(event.msg, `listening on ${event.description}`);
  assert.ok(!Number.isNaN(Date.parse(event.time)));
  const port = Number(/^tcp:(\d+)/.exec(event.description)![1]);
  const { conn } = await greeting(port);
  await conn.write(encoder.encode("boom\n"));
  await readAll(conn);
  conn.close();
  const error = JSON.parse((await runner.stdout.next(/"level":"error"/)).input);
  assert.equal(error.msg, "connection error");
  assert.equal(error.port, event.description);
  assert.equal(error.error, "Error: boom from the fixture");
  assert.match(error.errorStack, /pid_protocol\.ts/);
  assert.equal(await runner.stop(), 0);
  // Every line is JSON; the info events (closing, closed) were filtered out.
  const records = runner.stdout.all.map((line) => JSON.parse(line));
  assert.deepEqual(records.map((r) => r.msg), [event.msg, "connection error"]);
  assert.equal(runner.stderr.text, "");
});

Deno.test("cli: a module exporting services serves each factory on its defaults", async () => {
  const runner = startRunner(["serve", "tests/cli/fixtures/services.ts"]);
  const echo = await listeningPort(runner);
  const qotd = await listeningPort(runner);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: echo });
  await conn.write(encoder.encode("hi"));
  assert.equal(decoder.decode(await readN(conn, 2)), "hi");
  conn.close();
  const quote = await Deno.connect({ hostname: "127.0.0.1", port: qotd });
  assert.ok((await readAll(quote)).length > 0);
  quote.close();
  assert.equal(await runner.stop(), 0);
});

Deno.test("cli: the examples take the runner's options", async () => {
  const runner = startRunner(
    [local, "--log-format", "json"],
    "examples/echo.ts",
  );
  const line = await runner.stdout.next(/"event":"listening"/);
  assert.match(JSON.parse(line.input).description, /^tcp:\d+:/);
  assert.equal(await runner.stop(), 0);
  const help = await runToEnd(["--help"], "examples/echo.ts");
  assert.equal(help.code, 0);
  assert.match(
    help.stdout,
    /examples\/echo\.ts \[DESCRIPTION\.\.\.\] \[OPTIONS\]/,
  );
});

Deno.test("cli: --help prints usage and examples, exit 0", async () => {
  for (
    const args of [["--help"], ["-h"], ["help"], ["serve", "x.ts", "--help"]]
  ) {
    const { code, stdout } = await runToEnd(args);
    assert.equal(code, 0, args.join(" "));
    assert.match(stdout, /serve MODULE \[DESCRIPTION\.\.\.\]/);
    assert.match(stdout, /--workers N/);
    assert.match(stdout, /Exit codes:/);
    assert.match(stdout, /Examples:\n.*serve \.\/echo\.ts tcp:8007/);
  }
});

Deno.test("cli: bad usage exits 2 with a message", async () => {
  const cases: [string[], RegExp][] = [
    [[], /Missing command: serve/],
    [["start"], /Unknown command: start/],
    [["serve"], /Missing module/],
    [["serve", fixture, local, "--bogus"], /Unknown option: --bogus/],
    [["serve", fixture, local, "--grace"], /Missing value for option: --grace/],
    [
      ["serve", fixture, local, "--grace", "soon"],
      /Invalid value for --grace: soon/,
    ],
    [
      ["serve", fixture, local, "--log-format", "xml"],
      /Invalid value for --log-format: xml \(expected text, json\)/,
    ],
    [
      ["serve", fixture, local, "--log-level", "loud"],
      /Invalid value for --log-level: loud/,
    ],
    [
      ["serve", fixture, local, "--workers", "0"],
      /Invalid value for --workers: 0/,
    ],
    [
      ["serve", fixture],
      /No description given and the module exports no defaults/,
    ],
    [
      ["serve", "tests/cli/fixtures/services.ts", local],
      /Descriptions given to a module that serves several factories/,
    ],
  ];
  for (const [args, message] of cases) {
    const { code, stdout, stderr } = await runToEnd(args);
    assert.equal(code, 2, `${args.join(" ")}: ${stderr}`);
    assert.match(stderr, message);
    assert.equal(stdout, "");
  }
});

Deno.test("cli: a bad description exits 2 and names it, before the module loads", async () => {
  for (
    const [description, message] of [
      [
        "tcp:notaport",
        /Invalid port in endpoint description: notaport in tcp:notaport/,
      ],
      ["bogus:80", /Unknown endpoint type in description: bogus/],
      ["udp:9000", /Datagram endpoint in a stream server description/],
    ]
  ) {
    const { code, stderr } = await runToEnd([
      "serve",
      "tests/cli/fixtures/nope.ts",
      description as string,
    ]);
    assert.equal(code, 2, stderr);
    assert.match(stderr, /ERROR Bad description/);
    assert.match(stderr, message as RegExp);
  }
});

Deno.test("cli: a module that cannot be loaded or serves nothing exits 3", async () => {
  const cases: [string, RegExp][] = [
    [
      "tests/cli/fixtures/nope.ts",
      /Cannot load module: tests\/cli\/fixtures\/nope\.ts: Module not found/,
    ],
    [
      "tests/cli/fixtures/throws.ts",
      /Cannot load module: tests\/cli\/fixtures\/throws\.ts: kaboom while loading/,
    ],
    [
      "tests/cli/fixtures/no_factory.ts",
      /Module exports no factory: tests\/cli\/fixtures\/no_factory\.ts \(expected an export named factory/,
    ],
    [
      "tests/cli/fixtures/bad_factory.ts",
      /Module export factory is not a Factory: tests\/cli\/fixtures\/bad_factory\.ts/,
    ],
  ];
  for (const [module, message] of cases) {
    const { code, stdout, stderr } = await runToEnd(["serve", module, local]);
    assert.equal(code, 3, stderr);
    assert.match(stderr, message);
    assert.equal(stdout, "");
  }
});

Deno.test("cli: an address in use exits 4, closing what was already bound, printing no listening line", async () => {
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (taken.addr as Deno.NetAddr).port;
  try {
    const { code, stdout, stderr } = await runToEnd([
      "serve",
      fixture,
      local,
      `tcp:${port}:interface=127.0.0.1`,
    ]);
    assert.equal(code, 4, stderr);
    assert.match(
      stderr,
      new RegExp(
        `ERROR Cannot listen description="tcp:${port}:interface=127.0.0.1" error=".*in use`,
        "i",
      ),
    );
    // Listening lines come once every endpoint listens: none here.
    assert.equal(stdout, "");
  } finally {
    taken.close();
  }
});
