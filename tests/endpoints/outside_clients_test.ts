// Real outside clients: `openssl s_client` and `socat` talk to the example
// protocols over tcp, unix, tls and udp. Each test skips, saying which tool
// is missing, when that tool is not installed (CI installs both).

import assert from "node:assert/strict";
import { listen } from "../../mod.ts";
import { listenDatagram } from "../../endpoints/listen_datagram.ts";
import { TLSHandshakeError } from "../../endpoints/tls_handshake_error.ts";
import * as echo from "../../examples/echo.ts";
import * as qotd from "../../examples/qotd.ts";
import { UDPEcho } from "../../examples/udp_echo.ts";
import { testCert } from "../_certs.ts";
import { decoder, encoder, ListFactory, portOf, Recorder } from "../_net.ts";
import { hasTool } from "../_tools.ts";

const haveOpenssl = await hasTool("openssl", ["version"]);
const haveSocat = await hasTool("socat", ["-V"]);
if (!haveOpenssl) {
  console.warn(
    "outside_clients_test: openssl not found; skipping the tests that need it (apt-get install openssl)",
  );
}
if (!haveSocat) {
  console.warn(
    "outside_clients_test: socat not found; skipping the tests that need it (apt-get install socat)",
  );
}

interface RunOptions {
  /** Written to the tool's stdin once it runs. */
  input?: string;
  /** Read stdout until it contains this; default: until the tool exits. */
  until?: string;
  /** Once `until` is seen: close stdin and wait for exit, or kill. */
  then?: "close" | "kill";
}

interface RunResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** Run a client tool, feeding it input and reading what it prints. */
async function run(
  command: string,
  args: string[],
  options: RunOptions = {},
): Promise<RunResult> {
  const child = new Deno.Command(command, {
    args,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const stdin = child.stdin.getWriter();
  if (options.input !== undefined) {
    await stdin.write(encoder.encode(options.input));
  }
  if (options.until === undefined) await stdin.close().catch(() => {});
  let stdout = "";
  const reader = child.stdout.getReader();
  while (options.until === undefined || !stdout.includes(options.until)) {
    const { value, done } = await reader.read();
    if (done) break;
    stdout += decoder.decode(value, { stream: true });
  }
  if (options.until !== undefined) {
    if (options.then === "kill") child.kill("SIGTERM");
    await stdin.close().catch(() => {});
    // Drain the rest so the process can exit.
    while (!(await reader.read()).done);
  }
  reader.releaseLock();
  const { code } = await child.status;
  return { stdout, stderr: await stderr, code };
}

Deno.test({
  name: "socat: echo over tcp",
  ignore: !haveSocat,
  fn: async () => {
    await using port = await listen("tcp:0:interface=127.0.0.1", echo.factory);
    const { stdout, code } = await run(
      "socat",
      ["-", `TCP:127.0.0.1:${portOf(port)}`],
      { input: "hello over tcp\n" },
    );
    assert.equal(stdout, "hello over tcp\n");
    assert.equal(code, 0);
  },
});

Deno.test({
  name: "socat: echo and qotd over a unix socket",
  ignore: !haveSocat,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "torsion-socat-" });
    const echoPort = await listen(`unix:${dir}/echo.sock`, echo.factory);
    const qotdPort = await listen(`unix:${dir}/qotd.sock`, qotd.factory);
    const echoed = await run("socat", ["-", `UNIX-CONNECT:${dir}/echo.sock`], {
      input: "hello over unix\n",
    });
    assert.equal(echoed.stdout, "hello over unix\n");
    const quoted = await run("socat", ["-", `UNIX-CONNECT:${dir}/qotd.sock`], {
      until: "\r\n",
      then: "close",
    });
    assert.ok(
      qotd.quotes.includes(quoted.stdout.replace(/\r\n$/, "")),
      quoted.stdout,
    );
    await echoPort.close();
    await qotdPort.close();
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  name: "socat: echo over tls (OPENSSL address)",
  ignore: !haveSocat || !haveOpenssl,
  fn: async () => {
    const cert = await testCert();
    await using port = await listen(
      `tls:0:interface=127.0.0.1:certKey=${cert.certPath}:privateKey=${cert.keyPath}`,
      echo.factory,
    );
    const { stdout } = await run(
      "socat",
      ["-", `OPENSSL:127.0.0.1:${portOf(port)},verify=0`],
      { input: "hello over tls\n", until: "hello over tls\n", then: "close" },
    );
    assert.equal(stdout, "hello over tls\n");
  },
});

Deno.test({
  name: "socat: udp_echo round trip",
  ignore: !haveSocat,
  fn: async () => {
    await using port = await listenDatagram(
      "udp:0:interface=127.0.0.1",
      new UDPEcho(),
    );
    const { stdout } = await run(
      "socat",
      ["-", `UDP:127.0.0.1:${port.addr.port}`],
      { input: "hello over udp\n", until: "hello over udp\n", then: "kill" },
    );
    assert.equal(stdout, "hello over udp\n");
  },
});

Deno.test({
  name: "openssl s_client: verifies the certificate, negotiates ALPN, echoes",
  ignore: !haveOpenssl,
  fn: async () => {
    const cert = await testCert();
    class Echo extends Recorder {
      alpn: string | null = null;
      override connectionMade(): void {
        this.alpn = this.transport!.alpnProtocol;
        super.connectionMade();
      }
      override dataReceived(data: Uint8Array): void {
        super.dataReceived(data);
        this.transport!.write(data);
      }
    }
    const factory = new ListFactory(() => new Echo());
    await using port = await listen(
      `tls:0:interface=127.0.0.1:certKey=${cert.certPath}:privateKey=${cert.keyPath}:alpn=h2,http/1.1`,
      factory,
    );
    const { stdout } = await run("openssl", [
      "s_client",
      "-connect",
      `127.0.0.1:${portOf(port)}`,
      "-servername",
      "localhost",
      "-CAfile",
      cert.certPath,
      "-verify_return_error",
      "-verify_hostname",
      "localhost",
      "-alpn",
      "http/1.1",
      "-ign_eof",
    ], { input: "hello s_client\n", until: "hello s_client\n", then: "kill" });
    assert.match(stdout, /Verify return code: 0 \(ok\)/);
    assert.match(stdout, /ALPN protocol: http\/1\.1/);
    assert.ok(stdout.endsWith("hello s_client\n"));
    assert.equal((await factory.nth(0)).alpn, "http/1.1");
  },
});

Deno.test({
  name: "openssl s_client: qotd over tls, the quote then a clean close",
  ignore: !haveOpenssl,
  fn: async () => {
    const cert = await testCert();
    await using port = await listen(
      `ssl:0:interface=127.0.0.1:certKey=${cert.certPath}:privateKey=${cert.keyPath}`,
      qotd.factory,
    );
    // Without -ign_eof s_client would quit at the end of its (empty) input
    // before the quote arrives; with it, it waits for the server to close.
    const { stdout, code } = await run("openssl", [
      "s_client",
      "-connect",
      `127.0.0.1:${portOf(port)}`,
      "-quiet",
      "-ign_eof",
    ], { until: "\r\n", then: "close" });
    assert.ok(qotd.quotes.includes(stdout.replace(/\r\n$/, "")), stdout);
    assert.equal(code, 0);
  },
});

Deno.test({
  name: "openssl s_client: a client that rejects the certificate fails alone",
  ignore: !haveOpenssl,
  fn: async () => {
    const cert = await testCert();
    const stranger = await testCert("stranger");
    const reported = Promise.withResolvers<unknown>();
    await using port = await listen(
      `tls:0:interface=127.0.0.1:certKey=${cert.certPath}:privateKey=${cert.keyPath}`,
      echo.factory,
      { onError: (error) => reported.resolve(error) },
    );
    const { stdout, code } = await run("openssl", [
      "s_client",
      "-connect",
      `127.0.0.1:${portOf(port)}`,
      "-CAfile",
      stranger.certPath,
      "-verify_return_error",
    ], { input: "never sent\n" });
    assert.notEqual(code, 0);
    assert.doesNotMatch(stdout, /never sent/);
    const error = await reported.promise;
    assert.ok(error instanceof TLSHandshakeError, String(error));
    const conn = await Deno.connectTls({
      hostname: "localhost",
      port: portOf(port),
      caCerts: [cert.cert],
    });
    await conn.write(encoder.encode("still here"));
    const buffer = new Uint8Array(10);
    let filled = 0;
    while (filled < 10) filled += (await conn.read(buffer.subarray(filled)))!;
    assert.equal(decoder.decode(buffer), "still here");
    conn.close();
  },
});
