// Client-side STARTTLS: an SMTP-like line protocol that switches to TLS in the
// middle of a connection made by `connect`. Deno has no server-side STARTTLS,
// so the server is node:net upgraded with node:tls's TLSSocket.

import assert from "node:assert/strict";
import net from "node:net";
import tls from "node:tls";
import {
  type ConnectionClosed,
  ConnectionDone,
  ConnectionLost,
} from "../../mod.ts";
import { ClientFactory } from "../../protocols/client_factory.ts";
import { LineReceiver } from "../../protocols/line_receiver.ts";
import { connect } from "../../endpoints/connect.ts";
import { type TestCert, testCert } from "../_certs.ts";

/** What the server saw, and how: `plain: LINE`, `secure`, `tls: LINE`. */
interface SmtpServer {
  port: number;
  log: string[];
  tlsErrors: Error[];
  /** Resolves when a connection's sockets are closed. */
  done: Promise<void>;
  close(): Promise<void>;
}

function lines(
  socket: net.Socket | tls.TLSSocket,
  onLine: (line: string) => void,
): void {
  let buffer = "";
  socket.on("data", (chunk: Uint8Array | string) => {
    buffer += typeof chunk === "string"
      ? chunk
      : new TextDecoder().decode(chunk);
    let end: number;
    while ((end = buffer.indexOf("\r\n")) !== -1) {
      const line = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      onLine(line);
    }
  });
}

async function smtpServer(cert: TestCert): Promise<SmtpServer> {
  const log: string[] = [];
  const tlsErrors: Error[] = [];
  const done = Promise.withResolvers<void>();
  const server = net.createServer((socket) => {
    socket.write("220 torsion ESMTP\r\n");
    socket.on("close", () => done.resolve());
    lines(socket, (line) => {
      log.push(`plain: ${line}`);
      if (line.startsWith("EHLO ")) socket.write("250 STARTTLS\r\n");
      else if (line === "STARTTLS") {
        socket.removeAllListeners("data");
        socket.write("220 Go ahead\r\n", () => {
          const secure = new tls.TLSSocket(socket, {
            isServer: true,
            key: cert.key,
            cert: cert.cert,
          });
          secure.on("secure", () => log.push("secure"));
          secure.on("error", (error: Error) => {
            tlsErrors.push(error);
            socket.destroy();
          });
          lines(secure, (secret) => {
            log.push(`tls: ${secret}`);
            if (secret === "QUIT") secure.end("221 Bye\r\n");
            else secure.write(`250 ${secret}\r\n`);
          });
        });
      } else socket.write("500 Say STARTTLS first\r\n");
    });
  });
  await new Promise<void>((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve())
  );
  return {
    port: (server.address() as net.AddressInfo).port,
    log,
    tlsErrors,
    done: done.promise,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The client half: EHLO, STARTTLS, then a secret and QUIT over TLS. */
class SmtpClient extends LineReceiver {
  received: string[] = [];
  upgraded: Promise<void> | null = null;
  lost = Promise.withResolvers<ConnectionClosed>();
  caCerts: string[] = [];

  override lineReceived(line: string): void {
    this.received.push(line);
    if (line.startsWith("220 torsion")) this.sendLine("EHLO client");
    else if (line === "250 STARTTLS") this.sendLine("STARTTLS");
    else if (line === "220 Go ahead") {
      this.upgraded = this.transport!.startTLS!({
        caCerts: this.caCerts,
        hostname: "localhost",
      });
      this.upgraded.catch(() => {}); // the test looks at it
      // Written after startTLS: held until the handshake, then encrypted.
      this.sendLine("MAIL secret");
    } else if (line === "250 MAIL secret") this.sendLine("QUIT");
  }

  override connectionLost(reason: ConnectionClosed): void {
    this.lost.resolve(reason);
  }
}

class SmtpClientFactory extends ClientFactory<SmtpClient> {
  override protocol = SmtpClient;
  caCerts: string[] = [];
  lost = Promise.withResolvers<ConnectionClosed>();

  override buildProtocol(addr: Deno.Addr): SmtpClient | null {
    const client = super.buildProtocol(addr)!;
    client.caCerts = this.caCerts;
    return client;
  }

  override clientConnectionLost(_c: unknown, reason: ConnectionClosed): void {
    this.lost.resolve(reason);
  }
}

Deno.test("STARTTLS: the line protocol switches to TLS mid-stream; later lines travel only over TLS", async () => {
  const cert = await testCert();
  const server = await smtpServer(cert);
  try {
    const factory = new SmtpClientFactory();
    factory.caCerts = [cert.cert];
    const client = await connect(
      `tcp:host=127.0.0.1:port=${server.port}`,
      factory,
    );
    assert.ok((await client.lost.promise) instanceof ConnectionDone);
    assert.ok((await factory.lost.promise) instanceof ConnectionDone);
    await client.upgraded;
    await server.done;
    assert.deepEqual(server.log, [
      "plain: EHLO client",
      "plain: STARTTLS",
      "secure",
      "tls: MAIL secret",
      "tls: QUIT",
    ]);
    assert.deepEqual(client.received, [
      "220 torsion ESMTP",
      "250 STARTTLS",
      "220 Go ahead",
      "250 MAIL secret",
      "221 Bye",
    ]);
    assert.deepEqual(server.tlsErrors, []);
    assert.equal(client.transport!.alpnProtocol, null);
    await assert.rejects(
      client.transport!.startTLS!(),
      TypeError,
      "a second upgrade is refused",
    );
  } finally {
    await server.close();
  }
});

Deno.test("STARTTLS with an untrusted certificate: startTLS rejects, the connection is lost, nothing leaks in the clear", async () => {
  const cert = await testCert();
  const other = await testCert("other-ca");
  const server = await smtpServer(cert);
  try {
    const factory = new SmtpClientFactory();
    factory.caCerts = [other.cert];
    const client = await connect(
      `tcp:host=127.0.0.1:port=${server.port}`,
      factory,
    );
    const reason = await client.lost.promise;
    assert.ok(reason instanceof ConnectionLost);
    assert.match(reason.message, /certificate/i);
    assert.ok((await factory.lost.promise) instanceof ConnectionLost);
    await assert.rejects(client.upgraded!, /certificate/i);
    await server.done;
    assert.deepEqual(server.log, ["plain: EHLO client", "plain: STARTTLS"]);
    assert.equal(server.tlsErrors.length, 1);
  } finally {
    await server.close();
  }
});
