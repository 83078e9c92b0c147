// Client endpoints over real sockets: clientFromString, connect,
// connectProtocol, ClientFactory hooks, failures, timeouts, cancellation.

import assert from "node:assert/strict";
import {
  ConnectionAborted,
  type ConnectionClosed,
  ConnectionDone,
  ConnTransport,
  Factory,
  listen,
  Protocol,
  serveListener,
} from "../../mod.ts";
import { Clock } from "../../testing/mod.ts";
import {
  ClientFactory,
  type Connector,
} from "../../protocols/client_factory.ts";
import type {
  ClientEndpoint,
  DialedConnection,
  DialOptions,
} from "../../endpoints/client_endpoint.ts";
import { clientFromString } from "../../endpoints/client_from_string.ts";
import { connect, connectProtocol } from "../../endpoints/connect.ts";
import {
  ConnectError,
  ConnectingCancelledError,
  ConnectionRefusedError,
  TimeoutError,
} from "../../endpoints/connect_error.ts";
import { TCPClientEndpoint } from "../../endpoints/tcp_client_endpoint.ts";
import { TLSClientEndpoint } from "../../endpoints/tls_client_endpoint.ts";
import { UNIXClientEndpoint } from "../../endpoints/unix_client_endpoint.ts";
import { testCert } from "../_certs.ts";
import {
  decoder,
  encoder,
  ListFactory,
  portOf,
  readAll,
  Recorder,
  serve,
} from "../_net.ts";

class Echo extends Protocol {
  override dataReceived(data: Uint8Array): void {
    this.transport!.write(data);
  }
}

/** A client factory that records its hooks, and the protocols' events, in one list. */
class RecordingFactory extends ClientFactory<Recorder> {
  events: string[] = [];
  connectors: Connector[] = [];
  failures: Error[] = [];
  losses: ConnectionClosed[] = [];
  built: Recorder[] = [];
  failed = Promise.withResolvers<Error>();
  lost = Promise.withResolvers<ConnectionClosed>();
  override protocol = Recorder;

  override startedConnecting(connector: Connector): void {
    this.events.push(`startedConnecting:${connector.state}`);
    this.connectors.push(connector);
  }

  override buildProtocol(addr: Deno.Addr): Recorder | null {
    this.events.push("buildProtocol");
    const protocol = super.buildProtocol(addr)!;
    protocol.events = this.events; // one timeline for factory and protocol
    this.built.push(protocol);
    return protocol;
  }

  override clientConnectionFailed(connector: Connector, reason: Error): void {
    this.events.push(
      `clientConnectionFailed:${reason.name}:${connector.state}`,
    );
    this.failures.push(reason);
    this.failed.resolve(reason);
  }

  override clientConnectionLost(
    connector: Connector,
    reason: ConnectionClosed,
  ): void {
    this.events.push(`clientConnectionLost:${reason.name}:${connector.state}`);
    this.losses.push(reason);
    this.lost.resolve(reason);
  }
}

/** An endpoint whose dial the test settles (or never does). */
class ManualEndpoint implements ClientEndpoint {
  readonly timeout: number;
  dials: {
    options: DialOptions;
    result: PromiseWithResolvers<DialedConnection>;
  }[] = [];
  constructor(timeout = 30) {
    this.timeout = timeout;
  }

  getDestination(): Deno.Addr {
    return { transport: "tcp", hostname: "192.0.2.1", port: 9 };
  }

  dial(options: DialOptions = {}): Promise<DialedConnection> {
    const result = Promise.withResolvers<DialedConnection>();
    this.dials.push({ options, result });
    return result.promise;
  }
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

Deno.test("clientFromString parses tcp, tls (ssl) and unix descriptions", async () => {
  const tcp = clientFromString("tcp:host=127.0.0.1:port=8007");
  assert.ok(tcp instanceof TCPClientEndpoint);
  assert.deepEqual(tcp.getDestination(), {
    transport: "tcp",
    hostname: "127.0.0.1",
    port: 8007,
  });
  assert.equal(tcp.timeout, 30);
  const positional = clientFromString("tcp:example.com:80:timeout=2.5");
  assert.deepEqual(positional.getDestination(), {
    transport: "tcp",
    hostname: "example.com",
    port: 80,
  });
  assert.equal(positional.timeout, 2.5);
  assert.deepEqual(
    clientFromString("TCP:host=\\:\\:1:port=1").getDestination(),
    {
      transport: "tcp",
      hostname: "::1",
      port: 1,
    },
  );

  const cert = await testCert();
  const tls = clientFromString(
    `tls:host=127.0.0.1:port=8443:caCerts=${cert.certPath}:hostname=localhost:alpn=h2,http/1.1:timeout=9`,
  );
  assert.ok(tls instanceof TLSClientEndpoint);
  assert.deepEqual(tls.options, {
    hostname: "127.0.0.1",
    port: 8443,
    serverName: "localhost",
    caCerts: [cert.cert],
    alpnProtocols: ["h2", "http/1.1"],
    timeout: 9,
  });
  assert.ok(clientFromString("ssl:localhost:443") instanceof TLSClientEndpoint);

  const unix = clientFromString("unix:/tmp/a\\:b.sock:timeout=1");
  assert.ok(unix instanceof UNIXClientEndpoint);
  assert.deepEqual(unix.getDestination(), {
    transport: "unix",
    path: "/tmp/a:b.sock",
  });
  assert.equal(unix.timeout, 1);
  assert.deepEqual(clientFromString("unix:path=/run/x.sock").getDestination(), {
    transport: "unix",
    path: "/run/x.sock",
  });
});

Deno.test("clientFromString throws a TypeError naming the bad part", async () => {
  const cert = await testCert();
  const bad: [string, RegExp][] = [
    ["", /Invalid endpoint description/],
    ["quic:host=a:port=1", /Unknown endpoint type.*: quic/],
    ["tcp:port=80", /Missing host/],
    ["tcp:host=a", /Invalid port.*: \(missing\)/],
    ["tcp:host=a:port=0", /Invalid port.*: 0 in/],
    ["tcp:host=a:port=65536", /Invalid port.*: 65536/],
    ["tcp:host=a:port=http", /Invalid port.*: http/],
    ["tcp:a:1:2", /Unexpected argument.*: 2 in/],
    ["tcp:a:port=1:host=b", /Duplicate host.*: a and host=b/],
    ["tcp:host=a:port=1:timeout=0", /Invalid timeout.*: 0 in/],
    ["tcp:host=a:port=1:timeout=-1", /Invalid timeout.*: -1/],
    ["tcp:host=a:port=1:timeout=soon", /Invalid timeout.*: soon/],
    ["tcp:host=a:port=1:interface=b", /Unknown option.*: interface/],
    ["tcp:host=a:port=1:port=2", /Duplicate option.*: port/],
    [
      "tls:host=a:port=1:caCerts=/nonexistent/ca.pem",
      /caCerts file.*\/nonexistent\/ca\.pem/,
    ],
    [
      `tls:host=a:port=1:caCerts=${cert.keyPath}`,
      /No PEM certificate.*key\.pem/,
    ],
    ["tls:host=a:port=1:alpn=h2,", /Invalid alpn.*: h2,/],
    ["tls:host=a:port=1:hostname=", /Missing hostname/],
    ["tls:host=a:port=1:certKey=c.pem", /Unknown option.*: certKey/],
    ["unix:", /Missing socket path/],
    ["unix:/a:/b", /Unexpected argument.*: \/b/],
    ["unix:/a:mode=600", /Unknown option.*: mode/],
  ];
  for (const [description, message] of bad) {
    assert.throws(() => clientFromString(description), (error: unknown) => {
      assert.ok(error instanceof TypeError, `${description}: ${error}`);
      assert.match(error.message, message, description);
      return true;
    });
  }
  // connect reports a bad description as a rejection, not a synchronous throw.
  await assert.rejects(
    connect("tcp:host=a", new ClientFactory()),
    TypeError,
  );
});

Deno.test("connect over tcp: hooks in order, resolves after connectionMade, clientConnectionLost last", async () => {
  const serverFactory = new ListFactory(() => new Recorder());
  await using port = await serve(serverFactory);
  const factory = new RecordingFactory();
  const client = await connect(
    `tcp:host=127.0.0.1:port=${portOf(port)}`,
    factory,
  );
  assert.equal(client, factory.built[0]);
  assert.equal(client.factory, factory);
  assert.equal(client.connected, true);
  assert.deepEqual(factory.events, [
    "startedConnecting:connecting",
    "buildProtocol",
    "connectionMade",
  ]);
  const connector = factory.connectors[0];
  assert.equal(connector.state, "connected");
  assert.deepEqual(connector.getDestination(), {
    transport: "tcp",
    hostname: "127.0.0.1",
    port: portOf(port),
  });
  assert.equal(factory.numPorts, 1);
  const peer = client.transport!.getPeer() as Deno.NetAddr;
  assert.equal(peer.port, portOf(port));
  assert.equal(typeof client.transport!.startTLS, "function");

  client.transport!.write("hello");
  const server = await serverFactory.nth(0);
  await server.waitFor(5);
  server.transport!.write("world");
  await client.waitFor(5);
  assert.equal(client.text, "world");
  server.transport!.loseConnection();
  assert.ok((await factory.lost.promise) instanceof ConnectionDone);
  assert.deepEqual(factory.events, [
    "startedConnecting:connecting",
    "buildProtocol",
    "connectionMade",
    "dataReceived",
    "connectionLost:ConnectionDone",
    "clientConnectionLost:ConnectionDone:disconnected",
  ]);
  assert.equal(client.connected, false);
  assert.equal(factory.numPorts, 0, "doStop after the connection ended");
  assert.equal(Object.hasOwn(client, "connectionLost"), false);
});

Deno.test("connectProtocol connects the given instance; a plain Factory works with connect", async () => {
  await using port = await serve(Factory.forProtocol(Echo));
  const mine = new Recorder();
  const connected = await connectProtocol(
    `tcp:127.0.0.1:${portOf(port)}`,
    mine,
  );
  assert.equal(connected, mine);
  assert.equal(mine.factory, null);
  mine.transport!.write("ping");
  await mine.waitFor(4);
  assert.equal(mine.text, "ping");
  mine.transport!.loseConnection();
  await mine.lost.promise;

  const plain = Factory.forProtocol(Recorder);
  const other = await connect(
    new TCPClientEndpoint({ hostname: "127.0.0.1", port: portOf(port) }),
    plain,
  );
  assert.ok(other instanceof Recorder);
  assert.equal(other.factory, plain);
  other.transport!.loseConnection();
  await other.lost.promise;
  assert.equal(plain.numPorts, 0);
});

Deno.test("connect to ::1 with an escaped host", async () => {
  await using port = await listen(
    "tcp6:0:interface=\\:\\:1",
    Factory.forProtocol(Echo),
  );
  const client = await connectProtocol(
    `tcp:host=\\:\\:1:port=${portOf(port)}`,
    new Recorder(),
  );
  assert.equal((client.transport!.getPeer() as Deno.NetAddr).hostname, "::1");
  client.transport!.write("six");
  await client.waitFor(3);
  client.transport!.loseConnection();
  await client.lost.promise;
});

Deno.test("a refused connection rejects with ConnectionRefusedError and calls clientConnectionFailed", async () => {
  const port = freePort();
  const factory = new RecordingFactory();
  const error = await connect(`tcp:host=127.0.0.1:port=${port}`, factory)
    .then(() => assert.fail("connected"), (e) => e);
  assert.ok(error instanceof ConnectionRefusedError);
  assert.ok(error instanceof ConnectError);
  assert.equal(error.name, "ConnectionRefusedError");
  assert.match(error.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
  assert.ok(error.cause instanceof Deno.errors.ConnectionRefused);
  assert.equal(factory.failures[0], error);
  assert.deepEqual(factory.events, [
    "startedConnecting:connecting",
    "clientConnectionFailed:ConnectionRefusedError:disconnected",
  ]);
  assert.equal(factory.connectors[0].state, "disconnected");
  assert.equal(factory.numPorts, 0);
});

Deno.test("connect over tls with caCerts from a file; ALPN negotiated; startTLS is not offered", async () => {
  const cert = await testCert();
  const listener = Deno.listenTls({
    hostname: "127.0.0.1",
    port: 0,
    cert: cert.cert,
    key: cert.key,
    alpnProtocols: ["x-torsion", "h2"],
  });
  await using _port = serveListener(listener, Factory.forProtocol(Echo));
  const portNumber = (listener.addr as Deno.NetAddr).port;
  const factory = new RecordingFactory();
  const client = await connect(
    `tls:host=127.0.0.1:port=${portNumber}:caCerts=${cert.certPath}:hostname=localhost:alpn=x-torsion`,
    factory,
  );
  assert.equal(client.transport!.alpnProtocol, "x-torsion");
  client.transport!.write("secret");
  await client.waitFor(6);
  assert.equal(client.text, "secret");
  await assert.rejects(client.transport!.startTLS!({}), TypeError);
  client.transport!.loseConnection();
  await factory.lost.promise;
  assert.deepEqual(factory.failures, []);

  // The address itself is in the certificate too: no hostname= needed.
  const direct = await connectProtocol(
    new TLSClientEndpoint({
      hostname: "127.0.0.1",
      port: portNumber,
      caCerts: [cert.cert],
    }),
    new Recorder(),
  );
  assert.equal(direct.transport!.alpnProtocol, null);
  direct.transport!.loseConnection();
  await direct.lost.promise;
});

Deno.test("a tls server signed by another CA: a clear ConnectError and clientConnectionFailed", async () => {
  const cert = await testCert();
  const other = await testCert("other-ca");
  const listener = Deno.listenTls({
    hostname: "127.0.0.1",
    port: 0,
    cert: cert.cert,
    key: cert.key,
  });
  const serverErrors: unknown[] = [];
  await using _port = serveListener(listener, Factory.forProtocol(Echo), {
    onError: (error) => serverErrors.push(error),
  });
  const factory = new RecordingFactory();
  const error = await connect(
    `tls:host=localhost:port=${
      (listener.addr as Deno.NetAddr).port
    }:caCerts=${other.certPath}`,
    factory,
  ).then(() => assert.fail("connected"), (e) => e);
  assert.ok(error instanceof ConnectError);
  assert.equal(error.name, "ConnectError");
  assert.match(error.message, /TLS handshake with localhost failed/);
  assert.match(error.message, /certificate/i);
  assert.ok(error.cause instanceof Error);
  assert.deepEqual(factory.events, [
    "startedConnecting:connecting",
    "clientConnectionFailed:ConnectError:disconnected",
  ]);
  assert.equal(factory.built.length, 0);
});

Deno.test("connect over a unix socket; a missing socket file is a ConnectError naming it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "torsion-client-" });
  const path = `${dir}/echo.sock`;
  const listener = Deno.listen({ transport: "unix", path });
  const port = serveListener(listener, Factory.forProtocol(Echo));
  try {
    const factory = new RecordingFactory();
    const client = await connect(`unix:${path}`, factory);
    assert.deepEqual(factory.connectors[0].getDestination(), {
      transport: "unix",
      path,
    });
    await assert.rejects(client.transport!.startTLS!({}), TypeError);
    client.transport!.write("over unix");
    await client.waitFor(9);
    assert.equal(client.text, "over unix");
    client.transport!.loseConnection();
    await factory.lost.promise;
  } finally {
    await port.close();
  }
  const factory = new RecordingFactory();
  const error = await connect(`unix:${dir}/missing.sock`, factory)
    .then(() => assert.fail("connected"), (e) => e);
  assert.ok(error instanceof ConnectError);
  assert.match(error.message, /missing\.sock/);
  assert.ok(error.cause instanceof Deno.errors.NotFound);
  assert.equal(factory.failures[0], error);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("timeout: an attempt still dialling after timeout seconds fails with TimeoutError, on the clock", async () => {
  const clock = new Clock();
  const endpoint = new ManualEndpoint(2.5);
  const factory = new RecordingFactory();
  const result = connect(endpoint, factory, { clock }).then(
    () => assert.fail("connected"),
    (e) => e,
  );
  assert.equal(endpoint.dials.length, 1);
  const { options } = endpoint.dials[0];
  clock.advance(2499);
  assert.equal(options.signal!.aborted, false);
  assert.deepEqual(factory.failures, []);
  clock.advance(1);
  assert.equal(options.signal!.aborted, true);
  const error = await result;
  assert.ok(error instanceof TimeoutError);
  assert.ok(error instanceof ConnectError);
  assert.equal(error.name, "TimeoutError");
  assert.match(error.message, /after 2\.5 s: 192\.0\.2\.1:9/);
  assert.equal(options.signal!.reason, error);
  assert.deepEqual(factory.events, [
    "startedConnecting:connecting",
    "clientConnectionFailed:TimeoutError:disconnected",
  ]);
  assert.equal(clock.getDelayedCalls().length, 0);
});

Deno.test("a connection that arrives after the attempt was given up is closed", async () => {
  const clock = new Clock();
  const endpoint = new ManualEndpoint(1);
  const factory = new RecordingFactory();
  const result = connect(endpoint, factory, { clock }).catch((e) => e);
  clock.advance(1000);
  assert.ok((await result) instanceof TimeoutError);
  // The dial ignored its signal and completes now: nobody may use the socket.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const late = await Deno.connect({
    hostname: "127.0.0.1",
    port: (listener.addr as Deno.NetAddr).port,
  });
  const accepted = await listener.accept();
  endpoint.dials[0].result.resolve({ conn: late });
  assert.equal(
    (await readAll(accepted)).length,
    0,
    "the server sees end-of-stream",
  );
  accepted.close();
  listener.close();
  assert.equal(factory.built.length, 0);
});

Deno.test("a successful connect cancels its timeout", async () => {
  const clock = new Clock();
  await using port = await serve(Factory.forProtocol(Echo));
  const factory = new RecordingFactory();
  const client = await connect(
    `tcp:host=127.0.0.1:port=${portOf(port)}:timeout=5`,
    factory,
    { clock },
  );
  assert.deepEqual(clock.getDelayedCalls(), []);
  client.transport!.loseConnection();
  clock.advance(10_000); // the linger after a clean close runs on this clock too
  await factory.lost.promise;
  assert.deepEqual(factory.failures, []);
});

Deno.test("AbortSignal: an aborted attempt rejects with the signal's reason and stops the connector", async () => {
  const endpoint = new ManualEndpoint();
  const factory = new RecordingFactory();
  const controller = new AbortController();
  const result = connect(endpoint, factory, { signal: controller.signal })
    .then(() => assert.fail("connected"), (e) => e);
  const reason = new Error("shutting down");
  controller.abort(reason);
  assert.equal(await result, reason);
  assert.equal(endpoint.dials[0].options.signal!.aborted, true);
  assert.deepEqual(factory.events, [
    "startedConnecting:connecting",
    "clientConnectionFailed:Error:disconnected",
  ]);
  assert.equal(factory.failures[0], reason);
  const connector = factory.connectors[0];
  assert.equal(connector.stopped, true);
  connector.connect();
  assert.equal(
    endpoint.dials.length,
    1,
    "a stopped connector makes no attempt",
  );
  assert.equal(connector.state, "disconnected");

  // Already aborted: rejects at once, no hook runs.
  const fresh = new RecordingFactory();
  await assert.rejects(
    connect(endpoint, fresh, { signal: AbortSignal.abort(reason) }),
    (e) => e === reason,
  );
  assert.deepEqual(fresh.events, []);
  assert.equal(endpoint.dials.length, 1);
});

Deno.test("AbortSignal aborted after connecting leaves the connection open", async () => {
  await using port = await serve(Factory.forProtocol(Echo));
  const controller = new AbortController();
  const factory = new RecordingFactory();
  const client = await connect(
    `tcp:host=127.0.0.1:port=${portOf(port)}`,
    factory,
    { signal: controller.signal },
  );
  controller.abort();
  client.transport!.write("still here");
  await client.waitFor(10);
  assert.equal(client.connected, true);
  assert.equal(factory.connectors[0].stopped, true);
  client.transport!.loseConnection();
  await factory.lost.promise;
  assert.deepEqual(factory.failures, []);
});

Deno.test("stopConnecting (here from startedConnecting) fails the attempt with ConnectingCancelledError", async () => {
  class Impatient extends RecordingFactory {
    override startedConnecting(connector: Connector): void {
      super.startedConnecting(connector);
      connector.stopConnecting();
    }
  }
  const endpoint = new ManualEndpoint();
  const factory = new Impatient();
  const error = await connect(endpoint, factory).catch((e) => e);
  assert.ok(error instanceof ConnectingCancelledError);
  assert.ok(error instanceof ConnectError);
  assert.deepEqual(factory.events, [
    "startedConnecting:connecting",
    "clientConnectionFailed:ConnectingCancelledError:disconnected",
  ]);
  // disconnect() while connecting does the same.
  const second = new RecordingFactory();
  const pending = connect(endpoint, second).catch((e) => e);
  second.connectors[0].disconnect();
  assert.ok((await pending) instanceof ConnectingCancelledError);
  // Neither does anything when there is no attempt.
  second.connectors[0].stopConnecting();
  second.connectors[0].disconnect();
});

Deno.test("connector.disconnect() closes an open connection; connect() again reconnects to the same endpoint", async () => {
  const serverFactory = new ListFactory(() => new Recorder());
  await using port = await serve(serverFactory);
  class Twice extends RecordingFactory {
    second = Promise.withResolvers<Recorder>();
    override buildProtocol(addr: Deno.Addr): Recorder | null {
      const protocol = super.buildProtocol(addr);
      if (this.built.length === 2) this.second.resolve(protocol!);
      return protocol;
    }
    override clientConnectionLost(
      connector: Connector,
      reason: ConnectionClosed,
    ): void {
      super.clientConnectionLost(connector, reason);
      if (this.losses.length === 1) connector.connect();
    }
  }
  const factory = new Twice();
  const first = await connect(
    `tcp:host=127.0.0.1:port=${portOf(port)}`,
    factory,
  );
  const connector = factory.connectors[0];
  assert.throws(
    () => connector.connect(),
    /Cannot connect: the connector is connected/,
  );
  connector.disconnect();
  assert.ok((await first.lost.promise) instanceof ConnectionDone);
  const second = await factory.second.promise;
  await second.made.promise;
  await (await serverFactory.nth(1)).made.promise;
  assert.equal(factory.connectors.length, 2);
  assert.equal(factory.connectors[1], connector, "the same connector");
  assert.equal(connector.state, "connected");
  assert.equal(
    factory.numPorts,
    1,
    "doStart counted once across reconnections",
  );
  connector.disconnect();
  await second.lost.promise;
  assert.equal(factory.numPorts, 0);
});

Deno.test("hook exceptions: reported through onError, abort only that connection", async () => {
  await using port = await serve(Factory.forProtocol(Echo));
  const where = `tcp:host=127.0.0.1:port=${portOf(port)}`;
  const reported: [unknown, Protocol | undefined][] = [];
  const onError = (error: unknown, protocol?: Protocol): void => {
    reported.push([error, protocol]);
  };

  // connectionMade throws: the promise rejects, the connection is aborted and lost.
  const boom = new Error("boom in connectionMade");
  class BadStart extends Recorder {
    override connectionMade(): void {
      super.connectionMade();
      throw boom;
    }
  }
  const badStart = new RecordingFactory();
  badStart.protocol = BadStart;
  const error = await connect(where, badStart, { onError }).catch((e) => e);
  assert.ok(error instanceof ConnectError);
  assert.equal(error.cause, boom);
  assert.deepEqual(reported, [[boom, badStart.built[0]]]);
  assert.ok(badStart.losses[0] instanceof ConnectionAborted);
  assert.deepEqual(badStart.failures, []);

  // buildProtocol throws, or returns null: clientConnectionFailed.
  reported.length = 0;
  const oops = new Error("no protocol for you");
  const throwing = new RecordingFactory();
  throwing.buildProtocol = () => {
    throw oops;
  };
  const thrown = await connect(where, throwing, { onError }).catch((e) => e);
  assert.ok(thrown instanceof ConnectError);
  assert.equal(thrown.cause, oops);
  assert.deepEqual(reported, [[oops, undefined]]);
  assert.equal(throwing.failures[0], thrown);
  const refusing = new RecordingFactory();
  refusing.buildProtocol = () => null;
  const refused = await connect(where, refusing, { onError }).catch((e) => e);
  assert.ok(refused instanceof ConnectError);
  assert.match(refused.message, /buildProtocol returned null/);
  assert.equal(refusing.failures[0], refused);

  // dataReceived throws: that connection is aborted; the factory hears of it.
  reported.length = 0;
  const bad = new Error("bad data");
  class BadData extends Recorder {
    override dataReceived(): void {
      throw bad;
    }
  }
  const badData = new RecordingFactory();
  badData.protocol = BadData;
  const good = await connectProtocol(where, new Recorder(), { onError });
  const client = await connect(where, badData, { onError });
  client.transport!.write("x");
  assert.ok((await badData.lost.promise) instanceof ConnectionAborted);
  assert.deepEqual(reported, [[bad, client]]);
  good.transport!.write("fine");
  await good.waitFor(4);
  assert.equal(good.text, "fine");

  // A factory hook that throws is reported too, and changes nothing else.
  reported.length = 0;
  const lossy = new Error("in clientConnectionLost");
  class Throws extends RecordingFactory {
    override clientConnectionLost(
      connector: Connector,
      reason: ConnectionClosed,
    ): void {
      super.clientConnectionLost(connector, reason);
      throw lossy;
    }
  }
  const throws = new Throws();
  good.transport!.loseConnection();
  const last = await connect(where, throws, { onError });
  last.transport!.loseConnection();
  await throws.lost.promise;
  assert.deepEqual(reported, [[lossy, last]]);
  assert.equal(throws.connectors[0].state, "disconnected");
  await good.lost.promise;
});

Deno.test("endpoint classes check their options", () => {
  assert.throws(
    () => new TCPClientEndpoint({ hostname: "", port: 1 }),
    TypeError,
  );
  assert.throws(
    () => new TCPClientEndpoint({ hostname: "a", port: 0 }),
    RangeError,
  );
  assert.throws(
    () => new TCPClientEndpoint({ hostname: "a", port: 1, timeout: 0 }),
    RangeError,
  );
  assert.throws(
    () => new TLSClientEndpoint({ hostname: "a", port: 70000 }),
    RangeError,
  );
  assert.throws(() => new UNIXClientEndpoint({ path: "" }), TypeError);
  assert.equal(
    new UNIXClientEndpoint({ path: "/x", timeout: Infinity }).timeout,
    Infinity,
  );
});

Deno.test("ConnTransport of a client connection: getHost and getPeer are the two ends", async () => {
  await using port = await serve(Factory.forProtocol(Echo));
  const client = await connectProtocol(
    `tcp:host=127.0.0.1:port=${portOf(port)}`,
    new Recorder(),
  );
  assert.ok(client.transport instanceof ConnTransport);
  const host = client.transport.getHost() as Deno.NetAddr;
  const peer = client.transport.getPeer() as Deno.NetAddr;
  assert.equal(peer.port, portOf(port));
  assert.notEqual(host.port, peer.port);
  client.transport.write(encoder.encode("bytes"));
  await client.waitFor(5);
  assert.equal(decoder.decode(client.received[0]), "bytes");
  client.transport.loseConnection();
  await client.lost.promise;
});
