// The examples as a user runs them: their own process, `listening on` lines,
// real clients, and a graceful exit 0 on SIGINT/SIGTERM.

import assert from "node:assert/strict";
import { decoder, encoder, readAll, readN } from "../_net.ts";
import { start } from "../_process.ts";
import { quotes } from "../../examples/qotd.ts";

const local = "tcp:0:interface=127.0.0.1";

function dial(port: number): Promise<Deno.TcpConn> {
  return Deno.connect({ hostname: "127.0.0.1", port });
}

Deno.test("echo example: echoes on every description given, exits 0 on SIGTERM", async () => {
  const echo = await start("examples/echo.ts", [local, local]);
  assert.equal(echo.listening.length, 2);
  for (const port of echo.ports) {
    assert.ok(port > 0);
    const conn = await dial(port);
    await conn.write(encoder.encode("ping\n"));
    assert.equal(decoder.decode(await readN(conn, 5)), "ping\n");
    conn.close();
  }
  const { code } = await echo.stop("SIGTERM");
  assert.equal(code, 0);
});

Deno.test("echo example: a half-closing client gets its whole echo", async () => {
  const echo = await start("examples/echo.ts", [local]);
  const conn = await dial(echo.ports[0]);
  const payload = new Uint8Array(1 << 20).map((_, i) => i % 251);
  const writing = (async () => {
    let sent = 0;
    while (sent < payload.length) {
      sent += await conn.write(payload.subarray(sent));
    }
    await conn.closeWrite();
  })();
  const reply = await readAll(conn);
  await writing;
  assert.deepEqual(reply, payload);
  conn.close();
  assert.equal((await echo.stop("SIGINT")).code, 0);
});

Deno.test("qotd example: a quote, then the server closes", async () => {
  const qotd = await start("examples/qotd.ts", [local]);
  const seen = new Set<string>();
  for (let i = 0; i < quotes.length; i++) {
    const conn = await dial(qotd.ports[0]);
    const text = decoder.decode(await readAll(conn));
    conn.close();
    assert.ok(text.endsWith("\r\n"));
    seen.add(text.trimEnd());
  }
  assert.deepEqual([...seen].sort(), [...quotes].sort());
  assert.equal((await qotd.stop()).code, 0);
});

Deno.test("counter example: greets with the number of open connections", async () => {
  const counter = await start("examples/counter.ts", [local]);
  const greeting = (n: number) =>
    `welcome! there are currently ${n} open connections.\n`;
  const first = await dial(counter.ports[0]);
  assert.equal(
    decoder.decode(await readN(first, greeting(1).length)),
    greeting(1),
  );
  const second = await dial(counter.ports[0]);
  assert.equal(
    decoder.decode(await readN(second, greeting(2).length)),
    greeting(2),
  );
  await second.write(encoder.encode("echo?"));
  assert.equal(decoder.decode(await readN(second, 5)), "echo?");
  first.close();
  second.close();
  // Both gone: a new connection counts 1 again once the server saw the closes.
  let text = "";
  for (let attempt = 0; attempt < 50 && text !== greeting(1); attempt++) {
    const third = await dial(counter.ports[0]);
    text = decoder.decode(await readN(third, greeting(1).length));
    third.close();
  }
  assert.equal(text, greeting(1));
  assert.equal((await counter.stop()).code, 0);
});

Deno.test("examples: a bad description exits 2 with a message naming it", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "examples/echo.ts", "tcp:notaport"],
    cwd: new URL("../../", import.meta.url),
    stdout: "piped",
    stderr: "piped",
  });
  const { code, stderr } = await child.output();
  assert.equal(code, 2);
  assert.match(
    decoder.decode(stderr),
    /Invalid port in endpoint description: notaport/,
  );
});

Deno.test("all.ts (npm start) serves echo, qotd and counter together", async () => {
  // Uses the default ports: skip if something already holds them.
  try {
    for (const port of [8007, 8017, 8027]) {
      Deno.listen({ hostname: "127.0.0.1", port }).close();
    }
  } catch {
    console.warn(
      "skipped: the default example ports 8007/8017/8027 are in use",
    );
    return;
  }
  const all = await start("examples/all.ts", [], 3);
  assert.deepEqual(all.listening, [
    "tcp:8007:interface=127.0.0.1",
    "tcp:8017:interface=127.0.0.1",
    "tcp:8027:interface=127.0.0.1",
  ]);
  const conn = await dial(8017);
  assert.ok(quotes.includes(decoder.decode(await readAll(conn)).trimEnd()));
  conn.close();
  assert.equal((await all.stop("SIGINT")).code, 0);
});
