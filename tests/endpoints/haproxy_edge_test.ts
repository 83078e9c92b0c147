// The connection HAProxyServerEndpoint hands on after the PROXY header, as a
// wrapped endpoint that honours `prepare` receives it (one that serves it
// through Web streams, say): the header's addresses, the bytes read past the
// header first (by read() or through readable), and everything else passed
// to the real connection. Plus peers of another transport in error messages.

import assert from "node:assert/strict";
import {
  Factory,
  HAProxyServerEndpoint,
  type ListeningPort,
  type ListenOptions,
  type PrepareConnection,
  Protocol,
  ProxyProtocolError,
  type ServeListenerOptions,
} from "../../mod.ts";
import { Clock } from "../../testing/mod.ts";
import { concat } from "../_net.ts";
import { FakeConn, tcp, VSOCK } from "./_fakes.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const b = (text: string): Uint8Array => enc.encode(text);

/**
 * A server endpoint that keeps the `prepare` step it is given, so that the
 * test can run it on connections of its own; its port is a stub.
 */
class CapturingEndpoint {
  prepare: PrepareConnection | null = null;
  // deno-lint-ignore require-await
  async listen(
    _factory: Factory,
    options: ListenOptions = {},
  ): Promise<ListeningPort> {
    this.prepare = (options as ServeListenerOptions).prepare ?? null;
    const addr = tcp("10.0.0.1", 8007);
    return {
      addr,
      description: "capturing:8007",
      connections: 0,
      metrics: {
        connectionsOpen: 0,
        connectionsTotal: 0,
        bytesReceived: 0,
        bytesSent: 0,
        errors: 0,
      },
      finished: Promise.resolve(),
      getHost: () => addr,
      stopListening: () => Promise.resolve(),
      close: () => Promise.resolve(),
      [Symbol.asyncDispose]: () => Promise.resolve(),
    };
  }
}

async function prepared(
  conn: FakeConn,
): Promise<{ conn: Deno.Conn; peer?: Deno.Addr; port: ListeningPort }> {
  const inner = new CapturingEndpoint();
  const port = await new HAProxyServerEndpoint(inner).listen(
    Factory.forProtocol(Protocol),
    { clock: new Clock() },
  );
  assert.equal(port.description, "haproxy:capturing:8007");
  const result = await inner.prepare!(conn);
  return { ...result, port };
}

const HEADER = "PROXY TCP4 203.0.113.7 198.51.100.1 40000 443\r\n";

Deno.test("HAProxy: the prepared connection has the header's addresses and passes the rest through", async () => {
  const raw = new FakeConn();
  raw.feed(b(HEADER + "hello"));
  const { conn, peer } = await prepared(raw);
  assert.notEqual(conn, raw);
  assert.deepEqual(peer, tcp("203.0.113.7", 40000));
  assert.deepEqual(conn.remoteAddr, tcp("203.0.113.7", 40000));
  assert.deepEqual(conn.localAddr, tcp("198.51.100.1", 443));

  // The bytes after the header come first, a read at a time.
  const small = new Uint8Array(3);
  assert.equal(await conn.read(small), 3);
  assert.equal(dec.decode(small), "hel");
  const rest = new Uint8Array(10);
  assert.equal(await conn.read(rest), 2);
  assert.equal(dec.decode(rest.subarray(0, 2)), "lo");
  raw.feed(b("more"));
  assert.equal(await conn.read(rest), 4); // then the socket itself

  assert.equal(await conn.write(b("reply")), 5);
  assert.equal(raw.text(), "reply");
  assert.equal(conn.writable, raw.writable);
  conn.ref();
  conn.unref();
  assert.deepEqual(raw.refs, ["ref", "unref"]);
  const tcpConn = conn as Deno.TcpConn;
  tcpConn.setNoDelay(true);
  tcpConn.setKeepAlive(true);
  assert.deepEqual(raw.keepAlive, [true]);
  await conn.closeWrite();
  assert.equal(raw.writeClosed, true);
  conn[Symbol.dispose]();
  assert.equal(raw.closed, true);
});

Deno.test("HAProxy: the prepared connection's readable starts with the bytes read past the header", async () => {
  const raw = new FakeConn();
  raw.feed(b(HEADER + "first"));
  raw.feed(b(" second"));
  raw.end();
  const { conn } = await prepared(raw);
  const chunks = await Array.fromAsync(conn.readable);
  assert.equal(dec.decode(concat(chunks)), "first second");
  assert.equal(conn.readable, conn.readable); // one stream
});

Deno.test("HAProxy: cancelling the prepared readable cancels the socket's, before or after a read", async () => {
  for (const readFirst of [false, true]) {
    const raw = new FakeConn();
    raw.feed(b(HEADER + "x"));
    const { conn } = await prepared(raw);
    const reader = conn.readable.getReader();
    if (readFirst) {
      assert.equal(dec.decode((await reader.read()).value), "x");
      raw.feed(b("y"));
      assert.equal(dec.decode((await reader.read()).value), "y");
    }
    await reader.cancel(new Error("done"));
    assert.equal(raw.closed, true, `readFirst=${readFirst}`);
  }
});

Deno.test("HAProxy: once the extra bytes were read, readable is the socket's own", async () => {
  const raw = new FakeConn();
  raw.feed(b(HEADER + "ab"));
  const { conn } = await prepared(raw);
  await conn.read(new Uint8Array(2));
  assert.equal(conn.readable, raw.readable);
});

Deno.test("HAProxy: a header without addresses keeps the socket's, with the extra bytes first", async () => {
  const raw = new FakeConn();
  raw.feed(b("PROXY UNKNOWN\r\ndata"));
  const { conn, peer } = await prepared(raw);
  assert.notEqual(conn, raw); // wrapped for the extra bytes only
  assert.deepEqual(peer, raw.remoteAddr);
  assert.notEqual(peer, raw.remoteAddr); // a fresh object: one per connection
  assert.equal(conn.remoteAddr, raw.remoteAddr);
  assert.equal(conn.localAddr, raw.localAddr);
  const buffer = new Uint8Array(8);
  assert.equal(await conn.read(buffer), 4);
  assert.equal(dec.decode(buffer.subarray(0, 4)), "data");
});

Deno.test("HAProxy: errors name a peer of another transport by its transport", async () => {
  const raw = new FakeConn({ remoteAddr: VSOCK });
  raw.feed(b("GET / HTTP/1.1\r\n\r\n"));
  await assert.rejects(
    prepared(raw),
    (error: unknown) =>
      error instanceof ProxyProtocolError &&
      error.message.endsWith("(from vsock)") &&
      error.peer === VSOCK,
  );
});
