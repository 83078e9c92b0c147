// `haproxy:` endpoints: the PROXY header read before connectionMade, however
// it is split (Twisted #8287), getPeer() already right in connectionMade
// (Twisted #12501), bytes after the header delivered, bad or missing or late
// headers closing only their connection; over scripted connections (one
// byte per read, exactly), real TCP, TCP6 and Unix sockets, and behind a
// real HAProxy with send-proxy and send-proxy-v2.

import assert from "node:assert/strict";
import {
  Factory,
  listen,
  type ListeningPort,
  Protocol,
  serverFromString,
} from "../../mod.ts";
import {
  DEFAULT_HEADER_TIMEOUT,
  HAProxyServerEndpoint,
} from "../../endpoints/haproxy_server_endpoint.ts";
import { ProxyProtocolError } from "../../endpoints/proxy_protocol_error.ts";
import {
  type ListenOptions,
  serveListener,
  type ServeListenerOptions,
} from "../../endpoints/listening_port.ts";
import { TCPServerEndpoint } from "../../endpoints/tcp_server_endpoint.ts";
import { TLSServerEndpoint } from "../../endpoints/tls_server_endpoint.ts";
import { UNIXServerEndpoint } from "../../endpoints/unix_server_endpoint.ts";
import { V2_SIGNATURE } from "../../endpoints/_proxy_protocol.ts";
import { Clock } from "../../testing/mod.ts";
import type { ClockCall } from "../../testing/clock.ts";
import {
  concat,
  connectTo,
  decoder,
  encoder,
  Errors,
  ListFactory,
  portOf,
  readAll,
  Recorder,
} from "../_net.ts";
import { hasTool, startHAProxy, whileRefused } from "../_tools.ts";
import { FakeConn, FakeListener, tcp } from "./_fakes.ts";

const b = (s: string): Uint8Array => encoder.encode(s);

/** Records the addresses it sees in connectionMade, and echoes. */
class PeerRecorder extends Recorder {
  peer: Deno.Addr | null = null;
  host: Deno.Addr | null = null;
  override connectionMade(): void {
    this.peer = this.transport!.getPeer();
    this.host = this.transport!.getHost();
    super.connectionMade();
  }
  override dataReceived(data: Uint8Array): void {
    super.dataReceived(data);
    this.transport!.write(data);
  }
}

/** A ListFactory that also records the address given to buildProtocol. */
class AddrFactory extends ListFactory<PeerRecorder> {
  addrs: Deno.Addr[] = [];
  constructor() {
    super(() => new PeerRecorder());
  }
  override buildProtocol(addr: Deno.Addr): PeerRecorder | null {
    this.addrs.push(addr);
    return super.buildProtocol(addr);
  }
}

function v2(fam: number, body: Uint8Array, verCmd = 0x21): Uint8Array {
  const head = new Uint8Array(16);
  head.set(V2_SIGNATURE);
  head[12] = verCmd;
  head[13] = fam;
  head[14] = body.length >> 8;
  head[15] = body.length & 0xff;
  return concat([head, body]);
}

function v2Inet(src: Deno.NetAddr, dst: Deno.NetAddr): Uint8Array {
  const body = new Uint8Array(12);
  body.set(src.hostname.split(".").map(Number), 0);
  body.set(dst.hostname.split(".").map(Number), 4);
  new DataView(body.buffer).setUint16(8, src.port);
  new DataView(body.buffer).setUint16(10, dst.port);
  return v2(0x11, body);
}

// --- scripted connections: exactly the reads we ask for -----------------------

/**
 * A FakeConn whose reads return the scripted chunks, one per read; then the
 * peer is silent until we close (or shut our write side: then it closes too).
 */
class ScriptedConn extends FakeConn {
  constructor(chunks: Uint8Array[]) {
    super();
    for (const chunk of chunks) this.feed(chunk);
  }
  override closeWrite(): Promise<void> {
    this.end();
    return super.closeWrite();
  }
}

/** An endpoint over scripted connections; `prepare` honoured or not. */
class ScriptedEndpoint {
  constructor(readonly conns: Deno.Conn[], readonly honourPrepare = true) {}
  // deno-lint-ignore require-await
  async listen(
    factory: Factory,
    options: ListenOptions = {},
  ): Promise<ListeningPort> {
    const { prepare, ...rest } = options as ServeListenerOptions;
    const listener = new FakeListener();
    for (const conn of this.conns) listener.push(conn);
    return serveListener(listener, factory, {
      ...rest,
      prepare: this.honourPrepare ? prepare : undefined,
      description: "scripted:8007",
    });
  }
}

async function serveScripted(
  chunks: Uint8Array[],
): Promise<
  {
    conn: ScriptedConn;
    protocol: PeerRecorder;
    factory: AddrFactory;
    port: ListeningPort;
  }
> {
  const conn = new ScriptedConn(chunks);
  const factory = new AddrFactory();
  const port = await new HAProxyServerEndpoint(new ScriptedEndpoint([conn]))
    .listen(factory, { onError: (error) => assert.fail(String(error)) });
  const protocol = await factory.nth(0);
  return { conn, protocol, factory, port };
}

function bytewise(bytes: Uint8Array): Uint8Array[] {
  return [...bytes].map((byte) => Uint8Array.of(byte));
}

Deno.test("scripted: a v1 header one byte per read; peer known in connectionMade; the bytes after it come first", async () => {
  const header = b("PROXY TCP4 203.0.113.7 198.51.100.1 40000 443\r\n");
  const chunks = [
    ...bytewise(header.subarray(0, -1)),
    concat([header.subarray(-1), b("hello")]), // the last header byte and data
    b(" world"),
  ];
  const { conn, protocol, factory, port } = await serveScripted(chunks);
  await protocol.waitFor(11);
  assert.equal(conn.reads >= header.length, true, "one read per header byte");
  assert.deepEqual(factory.addrs, [tcp("203.0.113.7", 40000)]);
  assert.deepEqual(protocol.peer, tcp("203.0.113.7", 40000));
  assert.deepEqual(protocol.host, tcp("198.51.100.1", 443));
  assert.deepEqual(protocol.events, [
    "connectionMade",
    "dataReceived",
    "dataReceived",
  ]);
  assert.equal(decoder.decode(protocol.received[0]), "hello");
  assert.equal(protocol.text, "hello world");
  await port.close();
  assert.deepEqual(protocol.events.at(-1), "connectionLost:ConnectionDone");
});

Deno.test("scripted: a v2 header one byte per read, then data in its own read", async () => {
  const header = v2Inet(tcp("192.0.2.1", 1234), tcp("192.0.2.2", 80));
  const { protocol, factory, port } = await serveScripted([
    ...bytewise(header),
    b("data"),
  ]);
  await protocol.waitFor(4);
  assert.deepEqual(factory.addrs, [tcp("192.0.2.1", 1234)]);
  assert.deepEqual(protocol.peer, tcp("192.0.2.1", 1234));
  assert.deepEqual(protocol.host, tcp("192.0.2.2", 80));
  assert.equal(protocol.text, "data");
  await port.close();
});

Deno.test("scripted: v2 LOCAL, v2 AF_UNSPEC and v1 UNKNOWN keep the socket's addresses", async () => {
  for (
    const header of [
      v2(0x00, new Uint8Array(0), 0x20),
      v2(0x11, new Uint8Array(12), 0x20),
      v2(0x00, new Uint8Array(0)),
      b("PROXY UNKNOWN\r\n"),
    ]
  ) {
    const { protocol, factory, port } = await serveScripted([
      concat([header, b("x")]),
    ]);
    await protocol.waitFor(1);
    assert.deepEqual(factory.addrs, [tcp("10.0.0.2", 5555)]);
    assert.deepEqual(protocol.peer, tcp("10.0.0.2", 5555));
    assert.deepEqual(protocol.host, tcp("10.0.0.1", 8007));
    assert.equal(protocol.text, "x");
    await port.close();
  }
});

Deno.test("scripted: an endpoint that drops the PROXY step has its connections refused", async () => {
  const conn = new ScriptedConn([b("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\nhi")]);
  const factory = new AddrFactory();
  const errors = new Errors();
  const port = await new HAProxyServerEndpoint(
    new ScriptedEndpoint([conn], false),
  )
    .listen(factory, { onError: errors.onError });
  const error = await errors.nth(0);
  assert.ok(error instanceof TypeError);
  assert.match(
    error.message,
    /^PROXY protocol header not read: the wrapped endpoint does not pass options.prepare/,
  );
  assert.equal(factory.built.length, 0);
  assert.ok(conn.closed);
  await port.close();
});

// --- real sockets ---------------------------------------------------------------

async function serveHAProxy(
  description = "haproxy:tcp:0:interface=127.0.0.1",
  options: ListenOptions = {},
): Promise<{ port: ListeningPort; factory: AddrFactory; errors: Errors }> {
  const factory = new AddrFactory();
  const errors = new Errors();
  const port = await listen(description, factory, {
    onError: errors.onError,
    ...options,
  });
  return { port, factory, errors };
}

Deno.test("tcp: header and data in one write: the data is the first dataReceived", async () => {
  const { port, factory, errors } = await serveHAProxy();
  assert.equal(
    port.description,
    `haproxy:tcp:${portOf(port)}:interface=127.0.0.1`,
  );
  const client = await connectTo(port);
  await client.write(b("PROXY TCP4 198.51.100.9 127.0.0.1 61000 8007\r\nping"));
  const protocol = await factory.nth(0);
  await protocol.waitFor(4);
  assert.deepEqual(protocol.peer, tcp("198.51.100.9", 61000));
  assert.deepEqual(protocol.host, tcp("127.0.0.1", 8007));
  assert.deepEqual(factory.addrs, [tcp("198.51.100.9", 61000)]);
  assert.equal(decoder.decode(protocol.received[0]), "ping");
  await client.closeWrite();
  assert.equal(decoder.decode(await readAll(client)), "ping");
  client.close();
  await port.close();
  assert.deepEqual(errors.seen, []);
  assert.equal(port.metrics.connectionsTotal, 1);
  assert.equal(
    port.metrics.bytesReceived,
    4,
    "the header is not counted as data",
  );
});

Deno.test("tcp: a v2 header in separate writes, byte by byte, then data", async () => {
  const { port, factory, errors } = await serveHAProxy();
  const client = await connectTo(port);
  const header = v2Inet(tcp("192.0.2.44", 4444), tcp("192.0.2.1", 443));
  for (const byte of bytewise(header)) await client.write(byte);
  await client.write(b("after"));
  const protocol = await factory.nth(0);
  await protocol.waitFor(5);
  assert.equal(protocol.events[0], "connectionMade");
  assert.deepEqual(protocol.peer, tcp("192.0.2.44", 4444));
  assert.deepEqual(protocol.host, tcp("192.0.2.1", 443));
  assert.equal(protocol.text, "after");
  client.close();
  await protocol.lost.promise;
  await port.close();
  assert.deepEqual(errors.seen, []);
});

Deno.test("tcp6: a v1 TCP6 header on an IPv6 listener", async () => {
  const { port, factory } = await serveHAProxy(
    "haproxy:tcp6:0:interface=\\:\\:1",
  );
  assert.equal(
    port.description,
    `haproxy:tcp6:${portOf(port)}:interface=\\:\\:1`,
  );
  const client = await Deno.connect({ hostname: "::1", port: portOf(port) });
  await client.write(b("PROXY TCP6 2001:DB8:0::7 ::1 5000 443\r\nv6"));
  const protocol = await factory.nth(0);
  await protocol.waitFor(2);
  assert.deepEqual(protocol.peer, tcp("2001:db8::7", 5000));
  assert.deepEqual(protocol.host, tcp("::1", 443));
  client.close();
  await port.close();
});

Deno.test("tcp: a bad header closes that connection only, reported as ProxyProtocolError", async () => {
  const { port, factory, errors } = await serveHAProxy();
  const good = await connectTo(port);
  await good.write(b("PROXY TCP4 1.1.1.1 2.2.2.2 1 2\r\n"));
  const protocol = await factory.nth(0);
  await protocol.made.promise;
  const bad = await connectTo(port);
  await bad.write(b("PROXY TCP4 1.1.1.1 2.2.2.2 1 65536\r\n"));
  const error = await errors.nth(0);
  assert.ok(error instanceof ProxyProtocolError);
  assert.equal(
    error.message,
    `Invalid PROXY v1 destination port: "65536" (expected 0-65535 without leading zeros) (from 127.0.0.1:${bad.localAddr.port})`,
  );
  assert.deepEqual(error.peer, bad.localAddr);
  assert.equal(error.timedOut, false);
  assert.ok(error.cause instanceof ProxyProtocolError);
  assert.equal((await readAll(bad)).length, 0, "closed without a reply");
  bad.close();
  // The good connection goes on.
  await good.write(b("still here"));
  await protocol.waitFor(10);
  assert.equal(protocol.text, "still here");
  assert.equal(factory.built.length, 1);
  assert.equal(port.metrics.errors, 1);
  assert.equal(port.metrics.connectionsTotal, 1);
  good.close();
  await port.close();
});

Deno.test("tcp: not a PROXY header, or none at all: refused with a named error", async () => {
  const { port, factory, errors } = await serveHAProxy();
  const http = await connectTo(port);
  await http.write(b("GET / HTTP/1.1\r\n\r\n"));
  const first = await errors.nth(0);
  assert.ok(first instanceof ProxyProtocolError);
  assert.match(
    first.message,
    /^Missing PROXY protocol header: the connection starts with 0x47 \("G"\)/,
  );
  await readAll(http);
  http.close();
  const silent = await connectTo(port);
  silent.close();
  const second = await errors.nth(1);
  assert.ok(second instanceof ProxyProtocolError);
  assert.match(
    second.message,
    /^Missing PROXY protocol header: the connection closed before sending one \(from 127\.0\.0\.1:\d+\)$/,
  );
  const partial = await connectTo(port);
  await partial.write(b("PROXY TCP4 1.2"));
  await partial.closeWrite();
  const third = await errors.nth(2);
  assert.match(
    (third as Error).message,
    /^Truncated PROXY protocol header: the connection closed after 14 bytes/,
  );
  partial.close();
  assert.equal(factory.built.length, 0);
  await port.close();
});

/** A fake clock that says when something is scheduled on it. */
class WatchedClock extends Clock {
  #scheduled = Promise.withResolvers<void>();
  get scheduled(): Promise<void> {
    return this.#scheduled.promise;
  }
  override callLater(ms: number, fn: () => void): ClockCall {
    const call = super.callLater(ms, fn);
    this.#scheduled.resolve();
    this.#scheduled = Promise.withResolvers();
    return call;
  }
}

Deno.test("tcp: a peer that sends too little is dropped after headerTimeout (fake clock)", async () => {
  const clock = new WatchedClock();
  const { port, factory, errors } = await serveHAProxy(
    "haproxy:tcp:0:interface=127.0.0.1:headerTimeout=5000",
    { clock },
  );
  assert.equal(
    port.description,
    `haproxy:tcp:${portOf(port)}:interface=127.0.0.1:headerTimeout=5000`,
  );
  const scheduled = clock.scheduled;
  const client = await connectTo(port);
  await scheduled;
  await client.write(b("PRO"));
  clock.advance(4999);
  assert.deepEqual(errors.seen, []);
  clock.advance(1);
  const error = await errors.nth(0);
  assert.ok(error instanceof ProxyProtocolError);
  assert.ok(error.timedOut);
  assert.match(
    error.message,
    /^PROXY protocol header timed out: 127\.0\.0\.1:\d+ sent [0-3] bytes and no complete header within 5000 ms$/,
  );
  await readAll(client);
  client.close();
  assert.equal(factory.built.length, 0);
  await port.close();
});

Deno.test("tcp: closing the port drops connections still waiting for a header, silently", async () => {
  const clock = new WatchedClock();
  const { port, factory, errors } = await serveHAProxy(undefined, { clock });
  const scheduled = clock.scheduled;
  const client = await connectTo(port);
  await client.write(b("PROXY TCP4"));
  await scheduled; // its header step runs
  await port.close();
  assert.equal((await readAll(client)).length, 0);
  client.close();
  assert.deepEqual(errors.seen, []);
  assert.equal(factory.built.length, 0);
  assert.equal(clock.getDelayedCalls().length, 0, "header timer cancelled");
});

Deno.test("tcp: a factory that refuses the client closes the connection, no error", async () => {
  const refused: Deno.Addr[] = [];
  const factory = new class extends Factory {
    override buildProtocol(addr: Deno.Addr): Protocol | null {
      refused.push(addr);
      return null;
    }
  }();
  const errors = new Errors();
  const port = await listen("haproxy:tcp:0:interface=127.0.0.1", factory, {
    onError: errors.onError,
  });
  const client = await connectTo(port);
  await client.write(b("PROXY TCP4 9.9.9.9 1.1.1.1 9 1\r\n"));
  assert.equal((await readAll(client)).length, 0);
  client.close();
  assert.deepEqual(refused, [tcp("9.9.9.9", 9)]);
  await port.close();
  assert.deepEqual(errors.seen, []);
});

Deno.test("unix: PROXY headers over a Unix socket (HAProxy to a local socket)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "torsion-haproxy-" });
  const path = `${dir}/app.sock`;
  const { port, factory, errors } = await serveHAProxy(`haproxy:unix:${path}`);
  assert.equal(port.description, `haproxy:unix:${path}`);
  const proxied = await Deno.connect({ transport: "unix", path });
  await proxied.write(
    concat([v2Inet(tcp("192.0.2.5", 5555), tcp("192.0.2.6", 80)), b("one")]),
  );
  const first = await factory.nth(0);
  await first.waitFor(3);
  assert.deepEqual(first.peer, tcp("192.0.2.5", 5555));
  assert.deepEqual(first.host, tcp("192.0.2.6", 80));
  assert.equal(first.text, "one");
  const local = await Deno.connect({ transport: "unix", path });
  await local.write(concat([v2(0x00, new Uint8Array(0), 0x20), b("two")]));
  const second = await factory.nth(1);
  await second.waitFor(3);
  assert.deepEqual(second.peer, { transport: "unix", path: "" });
  assert.deepEqual(factory.addrs[1], { transport: "unix", path: "" });
  assert.equal(second.text, "two");
  const bad = await Deno.connect({ transport: "unix", path });
  await bad.write(b("PROXY TCP4 x"));
  await bad.closeWrite();
  assert.ok((await errors.nth(0)) instanceof ProxyProtocolError);
  for (const conn of [proxied, local, bad]) conn.close();
  await port.close();
  await Deno.remove(dir, { recursive: true });
});

// --- descriptions and construction ------------------------------------------------

Deno.test("serverFromString: haproxy: wraps tcp, tcp6 and unix", () => {
  const endpoint = serverFromString("haproxy:tcp:8007:interface=127.0.0.1");
  assert.ok(endpoint instanceof HAProxyServerEndpoint);
  assert.ok(endpoint.endpoint instanceof TCPServerEndpoint);
  assert.deepEqual(
    { ...endpoint.endpoint.options, description: undefined },
    {
      port: 8007,
      hostname: "127.0.0.1",
      backlog: undefined,
      ipv6: false,
      description: undefined,
    },
  );
  assert.equal(endpoint.options.headerTimeout, undefined);
  const v6 = serverFromString(
    "HAPROXY:tcp6:port=0:headerTimeout=250",
  ) as HAProxyServerEndpoint;
  assert.equal(v6.options.headerTimeout, 250);
  assert.equal((v6.endpoint as TCPServerEndpoint).options.ipv6, true);
  const unix = serverFromString(
    "haproxy:unix:/tmp/x\\:y.sock:mode=600",
  ) as HAProxyServerEndpoint;
  assert.ok(unix.endpoint instanceof UNIXServerEndpoint);
  assert.equal(unix.endpoint.options.path, "/tmp/x:y.sock");
  assert.equal(unix.endpoint.options.mode, 0o600);
  assert.equal(DEFAULT_HEADER_TIMEOUT, 10_000);
});

Deno.test("serverFromString: bad haproxy: descriptions name the problem", () => {
  const cases: [string, RegExp][] = [
    [
      "haproxy:",
      /^Missing endpoint after haproxy: in endpoint description: haproxy:$/,
    ],
    [
      "haproxy",
      /^Missing endpoint after haproxy: in endpoint description: haproxy$/,
    ],
    ["haproxy:headerTimeout=5", /^Missing endpoint after haproxy:/],
    [
      "haproxy:tls:443:certKey=c.pem",
      /^PROXY protocol over TLS is not supported: tls in haproxy:tls:443/,
    ],
    ["haproxy:ssl:443", /^PROXY protocol over TLS is not supported: ssl/],
    ["haproxy:haproxy:tcp:80", /^Nested haproxy: in endpoint description/],
    ["haproxy:udp:53", /^Datagram endpoint in a stream server description/],
    ["haproxy:nope:1", /^Unknown endpoint type in description: nope/],
    [
      "haproxy:tcp:80:headerTimeout=0",
      /^Invalid headerTimeout in endpoint description: 0 in haproxy:tcp:80:headerTimeout=0 \(expected 1-2147483647\)/,
    ],
    ["haproxy:tcp:80:headerTimeout=1s", /^Invalid headerTimeout/],
    [
      "haproxy:tcp:80:headerTimeout=1:headerTimeout=2",
      /^Duplicate option in endpoint description: headerTimeout/,
    ],
    ["haproxy:tcp:99999", /^Invalid port in endpoint description: 99999/],
    [
      "haproxy:tcp:80:bogus=1",
      /^Unknown option in endpoint description: bogus/,
    ],
  ];
  for (const [description, message] of cases) {
    assert.throws(() => serverFromString(description), (error: unknown) => {
      assert.ok(error instanceof TypeError, description);
      assert.match(error.message, message, description);
      return true;
    });
  }
});

Deno.test("HAProxyServerEndpoint: TLS, nesting and bad timeouts refused", () => {
  const tls = new TLSServerEndpoint({ port: 0, cert: "x", key: "y" });
  assert.throws(() => new HAProxyServerEndpoint(tls), {
    name: "TypeError",
    message:
      /^PROXY protocol over TLS is not supported: the header precedes the TLS handshake/,
  });
  const inner = new HAProxyServerEndpoint(new TCPServerEndpoint({ port: 0 }));
  assert.throws(() => new HAProxyServerEndpoint(inner), TypeError);
  for (const headerTimeout of [0, -1, NaN, Infinity, 2 ** 31]) {
    assert.throws(
      () =>
        new HAProxyServerEndpoint(new TCPServerEndpoint({ port: 0 }), {
          headerTimeout,
        }),
      RangeError,
    );
  }
});

Deno.test("HAProxyServerEndpoint built by hand describes itself", async () => {
  const endpoint = new HAProxyServerEndpoint(
    new TCPServerEndpoint({ port: 0, hostname: "127.0.0.1" }),
    { headerTimeout: 3000 },
  );
  const port = await endpoint.listen(Factory.forProtocol(Protocol));
  assert.equal(
    port.description,
    `haproxy:tcp:${portOf(port)}:interface=127.0.0.1:headerTimeout=3000`,
  );
  assert.deepEqual(port.getHost(), port.addr);
  assert.equal(port.connections, 0);
  await port.stopListening();
  await port.close();
  await port.finished;
});

// --- a real HAProxy ----------------------------------------------------------------

const haveHAProxy = await hasTool("haproxy", ["-v"]);
if (!haveHAProxy) {
  console.warn(
    "haproxy_test: haproxy not found; skipping the test behind a real HAProxy (apt-get install haproxy)",
  );
}

/** Ports free right now (bound together, so distinct, then released). */
function freePorts(count: number): number[] {
  const listeners = Array.from(
    { length: count },
    () => Deno.listen({ hostname: "127.0.0.1", port: 0 }),
  );
  const ports = listeners.map((l) => (l.addr as Deno.NetAddr).port);
  for (const listener of listeners) listener.close();
  return ports;
}

/** Writes back what getPeer() and getHost() say, then echoes. */
class ReportPeer extends Protocol {
  override connectionMade(): void {
    const peer = this.transport!.getPeer() as Deno.NetAddr;
    const host = this.transport!.getHost() as Deno.NetAddr;
    this.transport!.write(
      `${peer.hostname}:${peer.port} ${host.hostname}:${host.port}\n`,
    );
  }
  override dataReceived(data: Uint8Array): void {
    this.transport!.write(data);
  }
}

Deno.test({
  name:
    "haproxy: a real HAProxy with send-proxy, send-proxy-v2 and CRC32C in front of torsion",
  ignore: !haveHAProxy,
  async fn() {
    const errors = new Errors();
    const server = await listen(
      "haproxy:tcp:0:interface=127.0.0.1",
      Factory.forProtocol(ReportPeer),
      {
        onError: errors.onError,
      },
    );
    const backend = portOf(server);
    const [v1, v2, v2crc] = freePorts(3);
    const dir = await Deno.makeTempDir({ prefix: "torsion-haproxy-" });
    const config = `${dir}/haproxy.cfg`;
    await Deno.writeTextFile(
      config,
      `global
  maxconn 100

defaults
  mode tcp
  timeout connect 5s
  timeout client 30s
  timeout server 30s

frontend v1
  bind 127.0.0.1:${v1}
  default_backend v1
frontend v2
  bind 127.0.0.1:${v2}
  default_backend v2
frontend v2crc
  bind 127.0.0.1:${v2crc}
  default_backend v2crc

backend v1
  server torsion 127.0.0.1:${backend} send-proxy
backend v2
  server torsion 127.0.0.1:${backend} send-proxy-v2
backend v2crc
  server torsion 127.0.0.1:${backend} send-proxy-v2 proxy-v2-options crc32c
`,
    );
    const haproxy = startHAProxy(config);
    try {
      for (const frontend of [v1, v2, v2crc]) {
        // Connect, retrying while HAProxy is still starting.
        const client = await whileRefused(
          () => Deno.connect({ hostname: "127.0.0.1", port: frontend }),
          () => haproxy.exited,
        );
        await client.write(b("ping\n"));
        await client.closeWrite();
        const text = decoder.decode(await readAll(client));
        const me = client.localAddr;
        client.close();
        assert.equal(
          text,
          `${me.hostname}:${me.port} 127.0.0.1:${frontend}\nping\n`,
          `through frontend ${frontend}: ${
            JSON.stringify(errors.seen.map(String))
          }`,
        );
      }
      assert.deepEqual(errors.seen, []);
      assert.equal(server.metrics.connectionsTotal, 3);
    } finally {
      const [stdout, stderr] = await haproxy.stop();
      if (errors.seen.length > 0) {
        console.error(`haproxy said:\n${stdout}${stderr}`);
      }
      await server.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
