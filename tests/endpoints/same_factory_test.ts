// The point of endpoints: a factory knows nothing of the network. Each
// example's factory is served on tcp, tcp6, tls and unix at once, and
// talked to on each.

import assert from "node:assert/strict";
import { type Factory, listen, type ListeningPort } from "../../mod.ts";
import * as counter from "../../examples/counter.ts";
import * as echo from "../../examples/echo.ts";
import * as qotd from "../../examples/qotd.ts";
import { hasOpenssl, type TestCert, testCert } from "../_certs.ts";
import { decoder, encoder, readAll, readN } from "../_net.ts";

const haveOpenssl = await hasOpenssl();
if (!haveOpenssl) {
  console.warn(
    "same_factory_test: openssl not found; skipping (the tls endpoint needs a certificate made with it)",
  );
}

interface Served {
  kind: string;
  port: ListeningPort;
  connect(): Promise<Deno.Conn>;
}

/** Serve `factory` on all four kinds; returns a way to connect to each. */
async function serveEverywhere(
  factory: Factory,
  cert: TestCert,
  dir: string,
): Promise<Served[]> {
  const path = `${dir}/${crypto.randomUUID()}.sock`;
  const tcp = await listen("tcp:0:interface=127.0.0.1", factory);
  const tcp6 = await listen("tcp6:0:interface=\\:\\:1", factory);
  const tls = await listen(
    `tls:0:interface=127.0.0.1:certKey=${cert.certPath}:privateKey=${cert.keyPath}`,
    factory,
  );
  const unix = await listen(`unix:${path}`, factory);
  const portOf = (port: ListeningPort): number =>
    (port.addr as Deno.NetAddr).port;
  return [
    {
      kind: "tcp",
      port: tcp,
      connect: () => Deno.connect({ hostname: "127.0.0.1", port: portOf(tcp) }),
    },
    {
      kind: "tcp6",
      port: tcp6,
      connect: () => Deno.connect({ hostname: "::1", port: portOf(tcp6) }),
    },
    {
      kind: "tls",
      port: tls,
      connect: () =>
        Deno.connectTls({
          hostname: "localhost",
          port: portOf(tls),
          caCerts: [cert.cert],
        }),
    },
    {
      kind: "unix",
      port: unix,
      connect: () => Deno.connect({ transport: "unix", path }),
    },
  ];
}

async function readLine(conn: Deno.Conn): Promise<string> {
  let line = "";
  while (!line.endsWith("\n")) {
    const byte = await readN(conn, 1);
    if (byte.length === 0) break;
    line += decoder.decode(byte);
  }
  return line;
}

function test(name: string, fn: (dir: string) => Promise<void>): void {
  Deno.test({
    name,
    ignore: !haveOpenssl,
    fn: async () => {
      const dir = await Deno.makeTempDir({ prefix: "torsion-same-" });
      try {
        await fn(dir);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
}

test("echo: one factory on tcp, tcp6, tls and unix at once", async (dir) => {
  const served = await serveEverywhere(echo.factory, await testCert(), dir);
  for (const { kind, connect } of served) {
    const conn = await connect();
    const text = `echo over ${kind}\n`;
    await conn.write(encoder.encode(text));
    assert.equal(decoder.decode(await readN(conn, text.length)), text, kind);
    conn.close();
  }
  await Promise.all(served.map(({ port }) => port.close()));
});

test("qotd: one factory on tcp, tcp6, tls and unix at once, quotes in turn", async (dir) => {
  const served = await serveEverywhere(qotd.factory, await testCert(), dir);
  const received: string[] = [];
  for (const { kind, connect } of served) {
    const conn = await connect();
    const text = decoder.decode(await readAll(conn));
    conn.close();
    assert.ok(text.endsWith("\r\n"), `${kind}: ${JSON.stringify(text)}`);
    received.push(text.slice(0, -2));
  }
  // Consecutive connections get consecutive quotes, whatever the endpoint.
  const first = qotd.quotes.indexOf(received[0]);
  assert.notEqual(first, -1, received[0]);
  assert.deepEqual(
    received,
    received.map((_, i) => qotd.quotes[(first + i) % qotd.quotes.length]),
  );
  await Promise.all(served.map(({ port }) => port.close()));
});

test("counter: the count is shared by connections on every endpoint", async (dir) => {
  const served = await serveEverywhere(counter.factory, await testCert(), dir);
  const open: Deno.Conn[] = [];
  for (const [index, { kind, connect }] of served.entries()) {
    const conn = await connect();
    open.push(conn);
    assert.equal(
      await readLine(conn),
      `welcome! there are currently ${index + 1} open connections.\n`,
      kind,
    );
  }
  for (const [index, conn] of open.entries()) {
    const text = `echo ${index}`;
    await conn.write(encoder.encode(text));
    assert.equal(decoder.decode(await readN(conn, text.length)), text);
    conn.close();
  }
  await Promise.all(served.map(({ port }) => port.close()));
  assert.equal(counter.factory.numProtocols, 0);
});
