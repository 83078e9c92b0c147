// TLS servers over real loopback sockets: handshakes that succeed, fail or
// never come, ALPN, and the connections that must not notice any of it.

import assert from "node:assert/strict";
import { ConnectionDone, listen, type ListeningPort } from "../../mod.ts";
import { TLSHandshakeError } from "../../endpoints/tls_handshake_error.ts";
import { TLSServerEndpoint } from "../../endpoints/tls_server_endpoint.ts";
import { Clock } from "../../testing/mod.ts";
import { hasOpenssl, type TestCert, testCert } from "../_certs.ts";
import {
  decoder,
  encoder,
  Errors,
  ListFactory,
  portOf,
  readAll,
  readN,
  Recorder,
} from "../_net.ts";

const haveOpenssl = await hasOpenssl();
if (!haveOpenssl) {
  console.warn(
    "tls_server_test: openssl not found; skipping the TLS tests (they make their certificates with it)",
  );
}

class Echo extends Recorder {
  alpn: string | null | undefined = undefined;
  override connectionMade(): void {
    this.alpn = this.transport!.alpnProtocol;
    super.connectionMade();
  }
  override dataReceived(data: Uint8Array): void {
    super.dataReceived(data);
    this.transport!.write(data);
  }
}

function files(cert: TestCert): string {
  return `certKey=${cert.certPath}:privateKey=${cert.keyPath}`;
}

function connectTls(
  port: ListeningPort,
  cert: TestCert,
  alpnProtocols?: string[],
): Promise<Deno.TlsConn> {
  return Deno.connectTls({
    hostname: "localhost",
    port: portOf(port),
    caCerts: [cert.cert],
    alpnProtocols,
  });
}

async function roundTrip(conn: Deno.Conn, text: string): Promise<string> {
  await conn.write(encoder.encode(text));
  return decoder.decode(await readN(conn, encoder.encode(text).length));
}

const test = (name: string, fn: () => Promise<void>): void =>
  Deno.test({ name, ignore: !haveOpenssl, fn });

test("tls: echo over TLS; addresses, description and a clean close", async () => {
  const cert = await testCert();
  const factory = new ListFactory(() => new Echo());
  const description = `tls:0:interface=127.0.0.1:${files(cert)}`;
  const port = await listen(description, factory);
  assert.equal(
    port.description,
    description.replace("tls:0:", `tls:${portOf(port)}:`),
  );
  const client = await connectTls(port, cert);
  assert.equal(await roundTrip(client, "secret"), "secret");
  const protocol = await factory.nth(0);
  const peer = protocol.transport!.getPeer() as Deno.NetAddr;
  assert.equal(peer.hostname, "127.0.0.1");
  assert.equal(peer.port, client.localAddr.port);
  assert.deepEqual(protocol.transport!.getHost(), port.addr);
  assert.equal(protocol.alpn, null, "no ALPN offered");
  client.close();
  assert.ok((await protocol.lost.promise) instanceof ConnectionDone);
  await port.close();
});

test("tls: the ALPN protocol negotiated is known in connectionMade", async () => {
  const cert = await testCert();
  const factory = new ListFactory(() => new Echo());
  await using port = await listen(
    `tls:0:interface=127.0.0.1:${files(cert)}:alpn=h2,http/1.1`,
    factory,
  );
  const cases: [string[] | undefined, string | null][] = [
    [["http/1.1"], "http/1.1"],
    [["h2", "http/1.1"], "h2"],
    [undefined, null],
  ];
  for (const [index, [offered, expected]] of cases.entries()) {
    const client = await connectTls(port, cert, offered);
    const info = await client.handshake();
    assert.equal(info.alpnProtocol, expected);
    const protocol = await factory.nth(index);
    await protocol.made.promise;
    assert.equal(protocol.alpn, expected, `offered ${offered}`);
    assert.equal(protocol.transport!.alpnProtocol, expected);
    client.close();
    await protocol.lost.promise;
  }
});

test("tls: a client with the wrong CA fails clearly and the server keeps serving", async () => {
  const cert = await testCert();
  const stranger = await testCert("stranger");
  const errors = new Errors();
  const factory = new ListFactory(() => new Echo());
  await using port = await listen(
    `tls:0:interface=127.0.0.1:${files(cert)}`,
    factory,
    { onError: errors.onError },
  );
  const established = await connectTls(port, cert);
  assert.equal(await roundTrip(established, "before"), "before");

  const doubter = await connectTls(port, stranger);
  await assert.rejects(doubter.handshake(), (error: unknown) => {
    assert.ok(error instanceof Deno.errors.InvalidData, String(error));
    assert.match(error.message, /invalid peer certificate: UnknownIssuer/);
    return true;
  });
  doubter.close();
  const reported = await errors.nth(0);
  assert.ok(reported instanceof TLSHandshakeError, String(reported));
  assert.match(
    reported.message,
    /^TLS handshake failed: 127\.0\.0\.1:\d+: received fatal alert: UnknownCA$/,
  );
  assert.equal(reported.timedOut, false);
  assert.ok(reported.cause instanceof Error);
  assert.equal((reported.peer as Deno.NetAddr).hostname, "127.0.0.1");

  assert.equal(await roundTrip(established, "after"), "after");
  const late = await connectTls(port, cert);
  assert.equal(await roundTrip(late, "late"), "late");
  assert.equal(factory.built.length, 2, "the failed handshake built nothing");
  assert.equal(port.metrics.errors, 1);
  established.close();
  late.close();
});

test("tls: garbage instead of a handshake closes that connection only", async () => {
  const cert = await testCert();
  const errors = new Errors();
  const factory = new ListFactory(() => new Echo());
  await using port = await listen(
    `tls:0:interface=127.0.0.1:${files(cert)}`,
    factory,
    { onError: errors.onError },
  );
  const established = await connectTls(port, cert);
  assert.equal(await roundTrip(established, "one"), "one");

  const junk = await Deno.connect({
    hostname: "127.0.0.1",
    port: portOf(port),
  });
  await junk.write(encoder.encode("GET / HTTP/1.0\r\n\r\n"));
  const reported = await errors.nth(0);
  assert.ok(reported instanceof TLSHandshakeError, String(reported));
  assert.match(
    reported.message,
    /^TLS handshake failed: 127\.0\.0\.1:\d+: received corrupt message/,
  );
  // The server answers with an alert at most, then closes.
  const answer = await readAll(junk);
  assert.ok(answer.length < 16, `a short alert, not data: ${answer.length}`);
  junk.close();

  assert.equal(await roundTrip(established, "two"), "two");
  assert.equal(factory.built.length, 1);
  assert.equal(port.connections, 1);
  established.close();
});

test("tls: a peer that never handshakes is dropped after handshakeTimeout", async () => {
  const cert = await testCert();
  const errors = new Errors();
  // A fake clock that says when the handshake timer is armed.
  const armed = Promise.withResolvers<number>();
  const clock = new class extends Clock {
    override callLater(ms: number, fn: () => void) {
      armed.resolve(ms);
      return super.callLater(ms, fn);
    }
  }();
  const factory = new ListFactory(() => new Echo());
  const port = await listen(
    `tls:0:interface=127.0.0.1:${files(cert)}:handshakeTimeout=200`,
    factory,
    { onError: errors.onError, clock },
  );
  const silent = await Deno.connect({
    hostname: "127.0.0.1",
    port: portOf(port),
  });
  assert.equal(await armed.promise, 200);
  clock.advance(199);
  assert.equal(errors.seen.length, 0);
  clock.advance(1);
  const reported = await errors.nth(0);
  assert.ok(reported instanceof TLSHandshakeError, String(reported));
  assert.equal(reported.timedOut, true);
  assert.match(
    reported.message,
    /^TLS handshake timed out: 127\.0\.0\.1:\d+ did not complete it within 200 ms$/,
  );
  assert.equal(factory.built.length, 0);
  // Others are served, and the port closes without waiting for the silent peer.
  const client = await connectTls(port, cert);
  assert.equal(await roundTrip(client, "ok"), "ok");
  client.close();
  await (await factory.nth(0)).lost.promise;
  await port.close();
  silent.close();
});

test("tls: closing the port abandons handshakes in progress without reporting them", async () => {
  const cert = await testCert();
  const errors = new Errors();
  const armed = Promise.withResolvers<void>();
  const clock = new class extends Clock {
    override callLater(ms: number, fn: () => void) {
      armed.resolve();
      return super.callLater(ms, fn);
    }
  }();
  const port = await listen(
    `tls:0:interface=127.0.0.1:${files(cert)}`,
    new ListFactory(() => new Echo()),
    { onError: errors.onError, clock },
  );
  const silent = await Deno.connect({
    hostname: "127.0.0.1",
    port: portOf(port),
  });
  await armed.promise;
  await port.close();
  assert.deepEqual(errors.seen, []);
  assert.equal(clock.getDelayedCalls().length, 0, "the timer was cancelled");
  silent.close();
});

test("tls: TLSServerEndpoint takes PEM text; qotd-style close flushes first", async () => {
  const cert = await testCert();
  class Quote extends Recorder {
    override connectionMade(): void {
      super.connectionMade();
      this.transport!.write("a quote\r\n");
      this.transport!.loseConnection();
    }
  }
  const endpoint = new TLSServerEndpoint({
    port: 0,
    hostname: "127.0.0.1",
    cert: cert.cert,
    key: cert.key,
  });
  const port = await endpoint.listen(new ListFactory(() => new Quote()));
  assert.equal(port.description, `tls:${portOf(port)}:interface=127.0.0.1`);
  const client = await connectTls(port, cert);
  assert.equal(decoder.decode(await readAll(client)), "a quote\r\n");
  client.close();
  await port.close();
});

test("tls: a certificate and key that do not match fail at listen", async () => {
  const cert = await testCert();
  const stranger = await testCert("stranger");
  await assert.rejects(
    listen(
      `tls:0:interface=127.0.0.1:certKey=${cert.certPath}:privateKey=${stranger.keyPath}`,
      new ListFactory(() => new Echo()),
    ),
    /KeyMismatch/,
  );
});
