// `cli.ts serve --workers N`: a supervisor and N worker processes sharing
// one port with SO_REUSEPORT. The fixture protocol greets with its process
// id, so the client sees which worker answered.

import assert from "node:assert/strict";
import { encoder, readAll, readN } from "../_net.ts";
import {
  alive,
  checkBurst,
  freePort,
  greeting,
  listeningPort,
  runToEnd,
  startRunner,
} from "./_cli.ts";

const fixture = "tests/cli/fixtures/pid_protocol.ts";
// Connections are spread by a hash of their addresses: with two workers,
// 200 connections all landing on one would happen with probability 2^-199.
const ATTEMPTS = 200;

/** `serve <fixture> <description> --workers <workers>`. */
function serveArgs(description: string, workers: number): string[] {
  return ["serve", fixture, description, "--workers", String(workers)];
}

/** Open connections until one is answered by each pid of `wanted`. */
async function reach(port: number, wanted: Set<number>): Promise<Set<number>> {
  const seen = new Set<number>();
  for (let i = 0; i < ATTEMPTS; i++) {
    const { conn, pid } = await greeting(port);
    conn.close();
    seen.add(pid);
    if ([...wanted].every((p) => seen.has(p))) break;
  }
  return seen;
}

Deno.test("workers: --workers 2 accepts on both workers, survives killing one, stops all on SIGTERM", async () => {
  const port = freePort();
  const description = `tcp:${port}:interface=127.0.0.1`;
  const runner = startRunner(["serve", fixture, description, "--workers=2"]);
  assert.equal(await listeningPort(runner), port);
  const { input } = await runner.stderr.next(
    /INFO workers listening workers=2/,
  );
  const pids = JSON.parse(/pids=(\[.*\])/.exec(input)![1]) as number[];
  assert.equal(pids.length, 2);
  assert.ok(!pids.includes(runner.child.pid));

  // Connections spread over both workers.
  assert.deepEqual(await reach(port, new Set(pids)), new Set(pids));

  // Kill one: the supervisor starts another in its place.
  const [victim, survivor] = pids;
  Deno.kill(victim, "SIGKILL");
  await runner.stderr.next(
    new RegExp(
      `WARN worker exited, restarting worker=1 pid=${victim} code=137 signal=SIGKILL`,
    ),
  );
  const restarted = await runner.stderr.next(
    /INFO worker listening worker=1 pid=(\d+)/,
  );
  const replacement = Number(restarted[1]);
  assert.ok(!pids.includes(replacement));
  const after = await reach(port, new Set([survivor, replacement]));
  assert.deepEqual(after, new Set([survivor, replacement]));
  assert.ok(alive(survivor) && alive(replacement) && !alive(victim));

  // A reply in flight when the supervisor gets SIGTERM is delivered whole.
  const { conn } = await greeting(port);
  const size = 16 << 20;
  await conn.write(encoder.encode(`burst ${size}\n`));
  const first = await readN(conn, 1);
  runner.child.kill("SIGTERM");
  await runner.stderr.next(
    /INFO closing worker=\d pid=\d+ reason=SIGTERM connections=[1-9]/,
  );
  const rest = await readAll(conn);
  conn.close();
  assert.equal(await runner.exited, 0);
  assert.equal(1 + rest.length, size);
  assert.ok(checkBurst(first) && checkBurst(rest, 1));
  assert.match(runner.stderr.text, /INFO closing reason=SIGTERM workers=2/);
  for (const pid of [survivor, replacement]) {
    assert.match(
      runner.stderr.text,
      new RegExp(`INFO closing worker=\\d pid=${pid} reason=SIGTERM`),
    );
    assert.ok(!alive(pid), `worker ${pid} still running`);
  }
  // `listening on` was printed once, not once per worker or per restart.
  assert.equal(
    runner.stdout.all.filter((l) => l.startsWith("listening on")).length,
    1,
  );
});

Deno.test("workers: SIGINT (Ctrl+C reaches the whole group) stops gracefully, exit 0", async () => {
  const port = freePort();
  const runner = startRunner([
    "serve",
    fixture,
    `tcp:${port}:interface=127.0.0.1`,
    `tcp6:${port}:interface=\\:\\:1`,
    "--workers",
    "2",
    "--log-format",
    "json",
  ]);
  const lines = [
    await runner.stdout.next(/"event":"listening"/),
    await runner.stdout.next(/"event":"listening"/),
  ].map((m) => JSON.parse(m.input).description);
  assert.deepEqual(lines, [
    `tcp:${port}:interface=127.0.0.1`,
    `tcp6:${port}:interface=\\:\\:1`,
  ]);
  const ready = JSON.parse(
    (await runner.stdout.next(/"msg":"workers listening"/)).input,
  );
  // Signal the supervisor and the workers, as a terminal does.
  for (const pid of [runner.child.pid, ...ready.pids]) Deno.kill(pid, "SIGINT");
  assert.equal(await runner.exited, 0);
  const records = runner.stdout.all.map((line) => JSON.parse(line));
  const closed = records.filter((r) => r.msg === "closed");
  assert.equal(closed.length, 4); // two ports in each of two workers
  assert.deepEqual(new Set(closed.map((r) => r.pid)), new Set(ready.pids));
  for (const pid of ready.pids) assert.ok(!alive(pid));
});

Deno.test("workers: port 0 and endpoints without SO_REUSEPORT are refused with exit 2", async () => {
  const cases: [string, RegExp][] = [
    ["tcp:0:interface=127.0.0.1", /--workers needs an explicit port, not 0/],
    [
      "unix:/tmp/torsion-workers.sock",
      /--workers serves tcp, tcp6 and haproxy:tcp descriptions only: unix:/,
    ],
  ];
  for (const [description, message] of cases) {
    const { code, stdout, stderr } = await runToEnd(
      serveArgs(description, 2),
    );
    assert.equal(code, 2, stderr);
    assert.match(stderr, message);
    assert.equal(stdout, "");
  }
});

Deno.test("workers: a port held without SO_REUSEPORT exits 4; a bad module exits 3", async () => {
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (taken.addr as Deno.NetAddr).port;
  try {
    const bound = await runToEnd(
      serveArgs(`tcp:${port}:interface=127.0.0.1`, 2),
    );
    assert.equal(bound.code, 4, bound.stderr);
    assert.match(
      bound.stderr,
      /ERROR Cannot listen worker=\d pid=\d+ .*in use/i,
    );
    assert.match(bound.stderr, /ERROR worker failed while starting worker=\d/);
    assert.equal(bound.stdout, "");
  } finally {
    taken.close();
  }
  const missing = await runToEnd([
    "serve",
    "tests/cli/fixtures/nope.ts",
    `tcp:${freePort()}:interface=127.0.0.1`,
    "--workers",
    "2",
  ]);
  assert.equal(missing.code, 3, missing.stderr);
  assert.match(missing.stderr, /Cannot load module: file:.*nope\.ts/);
});

Deno.test("workers: a worker that keeps dying is restarted after a doubling delay", async () => {
  const port = freePort();
  const runner = startRunner(
    serveArgs(`tcp:${port}:interface=127.0.0.1`, 1),
  );
  await listeningPort(runner);
  // Each death within 10 s of the last start waits longer: 0, 100, 200 ms.
  for (const delay of [0, 100, 200]) {
    const { conn, pid } = await greeting(port);
    await conn.write(encoder.encode("exit\n"));
    await readAll(conn);
    conn.close();
    await runner.stderr.next(
      new RegExp(
        `WARN worker exited, restarting worker=1 pid=${pid} code=70 delay=${delay}$`,
      ),
    );
    await runner.stderr.next(/INFO worker listening worker=1 pid=\d+/);
  }
  assert.equal(await runner.stop(), 0);
});

Deno.test("workers: SIGTERM to one worker closes it gracefully and a fresh one takes its place", async () => {
  const port = freePort();
  const runner = startRunner(
    serveArgs(`tcp:${port}:interface=127.0.0.1`, 2),
  );
  await listeningPort(runner);
  // A reply in flight on the worker being replaced is still delivered.
  const { conn, pid } = await greeting(port);
  const size = 32 << 20;
  await conn.write(encoder.encode(`burst ${size}\n`));
  await readN(conn, 1);
  Deno.kill(pid, "SIGTERM");
  const rest = await readAll(conn);
  conn.close();
  assert.equal(1 + rest.length, size);
  await runner.stderr.next(
    new RegExp(`WARN worker exited, restarting worker=\\d pid=${pid} code=0 `),
  );
  const { input } = await runner.stderr.next(/INFO worker listening/);
  assert.ok(!input.includes(`pid=${pid}`));
  assert.equal(await runner.stop(), 0);
});
