// The connector behind connect() with hand-made client endpoints: an OS
// timeout from dial, hooks that throw with and without onError, a
// destination of another transport, and a cancel landing between the dial's
// success and the connector seeing it. Plus TLSClientEndpoint's destination
// and a cancel during its TLS set-up.

import assert from "node:assert/strict";
import {
  type ClientEndpoint,
  ClientFactory,
  connect,
  ConnectError,
  type ConnectOptions,
  type DialedConnection,
  Factory,
  Protocol,
  TimeoutError,
  TLSClientEndpoint,
} from "../../mod.ts";
import { Clock } from "../../testing/mod.ts";
import { portOf, serve } from "../_net.ts";
import { captureConsoleError, FakeConn, tcp, VSOCK } from "./_fakes.ts";

function endpoint(
  dial: () => Promise<DialedConnection>,
  destination: Deno.Addr = tcp("192.0.2.1", 7),
): ClientEndpoint {
  return { timeout: Infinity, getDestination: () => destination, dial };
}

/**
 * A connect whose dial is refused, with console.error captured: how it
 * failed and what was logged.
 */
async function refusedConnect(
  factory: ClientFactory,
  options: ConnectOptions = {},
): Promise<{ rejected: unknown; logged: unknown[][] }> {
  let rejected: unknown = null;
  const logged = await captureConsoleError(async () => {
    await connect(
      endpoint(() => Promise.reject(new Error("refused"))),
      factory,
      options,
    ).catch((error) => rejected = error);
  });
  return { rejected, logged };
}

Deno.test("connect: an OS-level connect timeout becomes a TimeoutError naming the destination", async () => {
  const cause = new Deno.errors.TimedOut("connect timed out");
  await assert.rejects(
    connect(
      endpoint(() => Promise.reject(cause)),
      Factory.forProtocol(Protocol),
    ),
    (error: unknown) =>
      error instanceof TimeoutError &&
      error.message === "Connection timed out: 192.0.2.1:7" &&
      error.cause === cause,
  );
});

Deno.test("connect: a destination of another transport is named by its transport", async () => {
  await assert.rejects(
    connect(
      endpoint(() => Promise.reject(new Error("no vsock here")), VSOCK),
      Factory.forProtocol(Protocol),
    ),
    (error: unknown) =>
      error instanceof ConnectError &&
      error.message === "Cannot connect to vsock: no vsock here",
  );
});

Deno.test("connect: a client hook that throws without onError goes to the console, and the attempt still fails cleanly", async () => {
  class Failing extends ClientFactory {
    override clientConnectionFailed(): void {
      throw new Error("hook bug");
    }
  }
  const { rejected, logged } = await refusedConnect(
    Failing.forProtocol(Protocol),
  );
  assert.ok(rejected instanceof ConnectError);
  assert.equal(logged.length, 1);
  assert.equal(logged[0][0], "torsion: client hook failed:");
  assert.equal((logged[0][1] as Error).message, "hook bug");
});

Deno.test("connect: an onError that throws is reported on the console", async () => {
  class Failing extends ClientFactory {
    override startedConnecting(): void {
      throw new Error("hook bug");
    }
  }
  const { rejected, logged } = await refusedConnect(
    Failing.forProtocol(Protocol),
    {
      onError: () => {
        throw new Error("reporter bug");
      },
    },
  );
  assert.ok(rejected instanceof ConnectError);
  assert.equal(logged.length, 1);
  assert.equal(logged[0][0], "torsion: onError failed:");
  assert.equal((logged[0][1] as Error).message, "reporter bug");
});

Deno.test("connect: a cancel landing after the dial succeeded but before the connector saw it closes the connection", async () => {
  const conn = new FakeConn();
  const controller = new AbortController();
  const reason = new Error("cancelled by the caller");
  const built: Protocol[] = [];
  const factory = new (class extends ClientFactory {
    failures: Error[] = [];
    override buildProtocol(addr: Deno.Addr): Protocol {
      const protocol = super.buildProtocol(addr)!;
      built.push(protocol);
      return protocol;
    }
    override clientConnectionFailed(_connector: unknown, error: Error): void {
      this.failures.push(error);
    }
  })();
  factory.protocol = Protocol;
  const dial = (): Promise<DialedConnection> => {
    const dialed = Promise.resolve({ conn });
    // Runs first among the reactions to the dial: the abort is queued right
    // behind the connector's own reaction, and so lands before the
    // connector resumes with the connection.
    dialed.then(() => queueMicrotask(() => controller.abort(reason)));
    return dialed;
  };
  await assert.rejects(
    connect(endpoint(dial), factory, { signal: controller.signal }),
    (error) => error === reason,
  );
  assert.equal(conn.closed, true);
  assert.deepEqual(built, []);
  assert.deepEqual(factory.failures, [reason]);
});

Deno.test("TLSClientEndpoint: getDestination is the TCP address, used in connect's errors", async () => {
  const server = await serve(Factory.forProtocol(Protocol));
  const port = portOf(server);
  await server.close(); // nobody listens there now
  const tls = new TLSClientEndpoint({ hostname: "127.0.0.1", port });
  assert.deepEqual(tls.getDestination(), tcp("127.0.0.1", port));
  await assert.rejects(
    connect(tls, Factory.forProtocol(Protocol), { clock: new Clock() }),
    (error: unknown) =>
      error instanceof ConnectError &&
      error.message.endsWith(`127.0.0.1:${port}`),
  );
});

Deno.test("TLSClientEndpoint: a cancel during the TLS set-up closes both connections and rejects with the reason", async () => {
  const server = await serve(Factory.forProtocol(Protocol));
  const port = portOf(server);
  const controller = new AbortController();
  const reason = new Error("stop");
  const original = Deno.startTls;
  let tlsConn: Deno.TlsConn | null = null;
  (Deno as { startTls: unknown }).startTls = async (
    conn: Deno.TcpConn,
    options: Deno.StartTlsOptions,
  ): Promise<Deno.TlsConn> => {
    tlsConn = await original(conn, options);
    controller.abort(reason); // the caller gives up while TLS is set up
    return tlsConn;
  };
  try {
    await assert.rejects(
      connect(
        new TLSClientEndpoint({ hostname: "127.0.0.1", port }),
        Factory.forProtocol(Protocol),
        { signal: controller.signal, clock: new Clock() },
      ),
      (error) => error === reason,
    );
  } finally {
    (Deno as { startTls: unknown }).startTls = original;
    await server.close();
  }
  assert.notEqual(tlsConn, null);
  // Closed by the endpoint: closing it again fails.
  assert.throws(() => tlsConn!.close(), Deno.errors.BadResource);
});
