// Server and datagram descriptions, table-driven: what each valid one
// becomes, and the exact message of each invalid one.

import assert from "node:assert/strict";
import {
  Factory,
  listen,
  Protocol,
  serverFromString,
  TCPServerEndpoint,
} from "../../mod.ts";
import { DatagramProtocol } from "../../endpoints/datagram_protocol.ts";
import { listenDatagram } from "../../endpoints/listen_datagram.ts";
import { TLSServerEndpoint } from "../../endpoints/tls_server_endpoint.ts";
import { UNIXServerEndpoint } from "../../endpoints/unix_server_endpoint.ts";

// Parsing reads the PEM files but does not check them beyond their markers,
// so fake PEM text will do here (the TLS tests use real certificates).
const dir = await Deno.makeTempDir({ prefix: "torsion-descriptions-" });
const CERT = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
const KEY = "-----BEGIN PRIVATE KEY-----\nMIGH\n-----END PRIVATE KEY-----\n";
const EC_KEY =
  "-----BEGIN EC PRIVATE KEY-----\nMHcC\n-----END EC PRIVATE KEY-----\n";
const cert = `${dir}/cert.pem`;
const key = `${dir}/key.pem`;
const ecKey = `${dir}/ec.pem`;
const both = `${dir}/both.pem`;
const junk = `${dir}/junk.txt`;
const missing = `${dir}/missing.pem`;
await Deno.writeTextFile(cert, CERT);
await Deno.writeTextFile(key, KEY);
await Deno.writeTextFile(ecKey, EC_KEY);
await Deno.writeTextFile(both, CERT + KEY);
await Deno.writeTextFile(junk, "hello\n");
const tlsFiles = `certKey=${cert}:privateKey=${key}`;
globalThis.addEventListener("unload", () => {
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("valid tcp and tcp6 descriptions", () => {
  const table: [string, Record<string, unknown>][] = [
    ["tcp:8007", { port: 8007, hostname: undefined, ipv6: false }],
    ["TCP:8007", { port: 8007, hostname: undefined, ipv6: false }],
    ["tcp:port=0", { port: 0, hostname: undefined, ipv6: false }],
    ["tcp:interface=127.0.0.1:8007", { port: 8007, hostname: "127.0.0.1" }],
    ["tcp:65535:backlog=1", { port: 65535, backlog: 1 }],
    ["tcp:80:backlog=65535", { port: 80, backlog: 65535 }],
    ["tcp6:8007", { port: 8007, hostname: undefined, ipv6: true }],
    ["tcp6:0:interface=\\:\\:1", { port: 0, hostname: "::1", ipv6: true }],
  ];
  for (const [description, expected] of table) {
    const endpoint = serverFromString(description);
    assert.ok(endpoint instanceof TCPServerEndpoint, description);
    for (const [name, value] of Object.entries(expected)) {
      assert.deepEqual(
        endpoint.options[name as keyof typeof endpoint.options],
        value,
        `${description}: ${name}`,
      );
    }
    assert.equal(endpoint.options.description, description);
  }
});

Deno.test("valid tls and ssl descriptions read the PEM files", () => {
  const table: [string, Record<string, unknown>][] = [
    [`tls:8443:${tlsFiles}`, { port: 8443, cert: CERT, key: KEY }],
    [`ssl:8443:${tlsFiles}`, { port: 8443, cert: CERT, key: KEY }],
    [`tls:8443:privateKey=${key}:certKey=${cert}`, { cert: CERT, key: KEY }],
    [`tls:port=0:${tlsFiles}:interface=\\:\\:1`, { port: 0, hostname: "::1" }],
    [`tls:0:${tlsFiles}:alpn=h2,http/1.1`, {
      alpnProtocols: ["h2", "http/1.1"],
    }],
    [`tls:0:${tlsFiles}:alpn=h2`, { alpnProtocols: ["h2"] }],
    [`tls:0:${tlsFiles}`, { alpnProtocols: undefined }],
    [`tls:0:${tlsFiles}:handshakeTimeout=250`, { handshakeTimeout: 250 }],
    [`tls:0:${tlsFiles}:backlog=50`, { backlog: 50 }],
    [`tls:0:certKey=${cert}:privateKey=${ecKey}`, { key: EC_KEY }],
    // Twisted's rule: one file holding both stands for the other.
    [`tls:0:privateKey=${both}`, { cert: CERT + KEY, key: CERT + KEY }],
    [`tls:0:certKey=${both}`, { cert: CERT + KEY, key: CERT + KEY }],
    [`tls:0:${tlsFiles}:extraCertChain=${cert}`, { cert: CERT + CERT }],
  ];
  for (const [description, expected] of table) {
    const endpoint = serverFromString(description);
    assert.ok(endpoint instanceof TLSServerEndpoint, description);
    for (const [name, value] of Object.entries(expected)) {
      assert.deepEqual(
        endpoint.options[name as keyof typeof endpoint.options],
        value,
        `${description}: ${name}`,
      );
    }
  }
});

Deno.test("valid unix descriptions", () => {
  const table: [string, Record<string, unknown>][] = [
    ["unix:/tmp/app.sock", { path: "/tmp/app.sock", mode: undefined }],
    ["unix:address=/tmp/app.sock", { path: "/tmp/app.sock" }],
    ["unix:relative.sock", { path: "relative.sock" }],
    ["unix:/tmp/a\\:b.sock", { path: "/tmp/a:b.sock" }],
    ["unix:/tmp/app.sock:mode=660", { mode: 0o660 }],
    ["unix:/tmp/app.sock:mode=0600", { mode: 0o600 }],
    ["unix:/tmp/app.sock:mode=0o640", { mode: 0o640 }],
    ["unix:/tmp/app.sock:mode=7", { mode: 0o7 }],
    ["unix:/tmp/app.sock:backlog=10", { backlog: 10 }],
  ];
  for (const [description, expected] of table) {
    const endpoint = serverFromString(description);
    assert.ok(endpoint instanceof UNIXServerEndpoint, description);
    for (const [name, value] of Object.entries(expected)) {
      assert.deepEqual(
        endpoint.options[name as keyof typeof endpoint.options],
        value,
        `${description}: ${name}`,
      );
    }
  }
});

Deno.test("invalid server descriptions throw a TypeError naming the bad part", () => {
  const table: [string, string][] = [
    ["", 'Invalid endpoint description: ""'],
    ["   ", 'Invalid endpoint description: "   "'],
    [
      "carrier-pigeon:80",
      "Unknown endpoint type in description: carrier-pigeon in carrier-pigeon:80",
    ],
    [
      "udp:8077",
      "Datagram endpoint in a stream server description: udp in udp:8077 (use listenDatagram)",
    ],
    // tcp, tcp6
    ["tcp", "Invalid port in endpoint description: (missing) in tcp"],
    ["tcp:http", "Invalid port in endpoint description: http in tcp:http"],
    ["tcp:70000", "Invalid port in endpoint description: 70000 in tcp:70000"],
    ["tcp:-1", "Invalid port in endpoint description: -1 in tcp:-1"],
    ["tcp6:", "Invalid port in endpoint description: (missing) in tcp6:"],
    [
      "tcp:80:81",
      "Unexpected argument in endpoint description: 81 in tcp:80:81",
    ],
    [
      "tcp:port=80:81",
      "Unexpected argument in endpoint description: 81 in tcp:port=80:81",
    ],
    [
      "tcp:80:colour=red",
      "Unknown option in endpoint description: colour in tcp:80:colour=red (known: port, interface, backlog)",
    ],
    [
      "tcp:80:interface=",
      "Empty option in endpoint description: interface in tcp:80:interface=",
    ],
    [
      "tcp:80:interface=a:interface=b",
      "Duplicate option in endpoint description: interface in tcp:80:interface=a:interface=b",
    ],
    [
      "tcp:80:backlog=lots",
      "Invalid backlog in endpoint description: lots in tcp:80:backlog=lots (expected 1-65535)",
    ],
    [
      "tcp:80:backlog=0",
      "Invalid backlog in endpoint description: 0 in tcp:80:backlog=0 (expected 1-65535)",
    ],
    [
      "tcp6:80:backlog=65536",
      "Invalid backlog in endpoint description: 65536 in tcp6:80:backlog=65536 (expected 1-65535)",
    ],
    // unix
    ["unix", "Missing path in endpoint description: unix"],
    ["unix:", "Missing path in endpoint description: unix:"],
    [
      "unix:/a.sock:/b.sock",
      "Unexpected argument in endpoint description: /b.sock in unix:/a.sock:/b.sock",
    ],
    [
      "unix:/a.sock:mode=999",
      "Invalid mode in endpoint description: 999 in unix:/a.sock:mode=999 (expected octal, e.g. 660)",
    ],
    [
      "unix:/a.sock:mode=rw",
      "Invalid mode in endpoint description: rw in unix:/a.sock:mode=rw (expected octal, e.g. 660)",
    ],
    [
      "unix:/a.sock:mode=",
      "Empty option in endpoint description: mode in unix:/a.sock:mode=",
    ],
    [
      "unix:/a.sock:port=80",
      "Unknown option in endpoint description: port in unix:/a.sock:port=80 (known: address, mode, backlog)",
    ],
    // tls
    [
      "tls:443",
      "Missing certKey and privateKey in endpoint description: tls:443",
    ],
    [
      `tls:https:${tlsFiles}`,
      `Invalid port in endpoint description: https in tls:https:${tlsFiles}`,
    ],
    [
      `tls:443:certKey=${missing}:privateKey=${key}`,
      `Cannot read certKey file in endpoint description: ${missing} (NotFound) in tls:443:certKey=${missing}:privateKey=${key}`,
    ],
    [
      `ssl:443:certKey=${cert}:privateKey=${missing}`,
      `Cannot read privateKey file in endpoint description: ${missing} (NotFound) in ssl:443:certKey=${cert}:privateKey=${missing}`,
    ],
    [
      `tls:443:certKey=${dir}:privateKey=${key}`,
      `Cannot read certKey file in endpoint description: ${dir} (IsADirectory) in tls:443:certKey=${dir}:privateKey=${key}`,
    ],
    [
      `tls:443:certKey=${junk}:privateKey=${key}`,
      `No PEM certificate in certKey file: ${junk} in tls:443:certKey=${junk}:privateKey=${key}`,
    ],
    [
      `tls:443:certKey=${cert}:privateKey=${junk}`,
      `No PEM private key in privateKey file: ${junk} in tls:443:certKey=${cert}:privateKey=${junk}`,
    ],
    [
      `tls:443:certKey=${cert}`,
      `Missing privateKey in endpoint description: certKey file ${cert} holds no private key in tls:443:certKey=${cert}`,
    ],
    [
      `tls:443:privateKey=${key}`,
      `Missing certKey in endpoint description: privateKey file ${key} holds no certificate in tls:443:privateKey=${key}`,
    ],
    [
      `tls:443:${tlsFiles}:extraCertChain=${junk}`,
      `No PEM certificate in extraCertChain file: ${junk} in tls:443:${tlsFiles}:extraCertChain=${junk}`,
    ],
    [
      `tls:443:${tlsFiles}:alpn=h2,,http/1.1`,
      `Invalid alpn in endpoint description: h2,,http/1.1 in tls:443:${tlsFiles}:alpn=h2,,http/1.1 (empty item)`,
    ],
    [
      `tls:443:${tlsFiles}:alpn=`,
      `Empty option in endpoint description: alpn in tls:443:${tlsFiles}:alpn=`,
    ],
    [
      `tls:443:${tlsFiles}:handshakeTimeout=0`,
      `Invalid handshakeTimeout in endpoint description: 0 in tls:443:${tlsFiles}:handshakeTimeout=0 (expected 1-2147483647)`,
    ],
    [
      `tls:443:${tlsFiles}:handshakeTimeout=soon`,
      `Invalid handshakeTimeout in endpoint description: soon in tls:443:${tlsFiles}:handshakeTimeout=soon (expected 1-2147483647)`,
    ],
    [
      `tls:443:${tlsFiles}:caCerts=${cert}`,
      `Unknown option in endpoint description: caCerts in tls:443:${tlsFiles}:caCerts=${cert} (known: port, interface, backlog, certKey, privateKey, extraCertChain, alpn, handshakeTimeout)`,
    ],
  ];
  for (const [description, message] of table) {
    assert.throws(
      () => serverFromString(description),
      (error: unknown) => {
        assert.ok(error instanceof TypeError, `${description}: ${error}`);
        assert.equal(error.message, message, description);
        return true;
      },
    );
  }
});

Deno.test("endpoint constructors check their options", () => {
  const tls = { cert: CERT, key: KEY };
  assert.throws(
    () => new TLSServerEndpoint({ port: -1, ...tls }),
    new RangeError("Port out of range: -1"),
  );
  assert.throws(
    () => new TLSServerEndpoint({ port: 0, ...tls, handshakeTimeout: 0 }),
    new RangeError("Handshake timeout out of range: 0"),
  );
  assert.throws(
    () => new TLSServerEndpoint({ port: 0, cert: "", key: KEY }),
    new TypeError("TLS certificate missing: cert is empty"),
  );
  assert.throws(
    () => new TLSServerEndpoint({ port: 0, cert: CERT, key: "" }),
    new TypeError("TLS private key missing: key is empty"),
  );
  assert.throws(
    () => new UNIXServerEndpoint({ path: "" }),
    new TypeError("Unix socket path missing: path is empty"),
  );
  assert.throws(
    () => new UNIXServerEndpoint({ path: "/tmp/x.sock", mode: 0o10000 }),
    new RangeError("File mode out of range: 4096"),
  );
});

Deno.test("datagram descriptions: only udp, with the same rules", async () => {
  const table: [string, string][] = [
    [
      "tcp:8077",
      "Not a datagram endpoint description: tcp in tcp:8077 (expected udp:PORT)",
    ],
    [
      "unix:/tmp/x.sock",
      "Not a datagram endpoint description: unix in unix:/tmp/x.sock (expected udp:PORT)",
    ],
    ["udp", "Invalid port in endpoint description: (missing) in udp"],
    ["udp:echo", "Invalid port in endpoint description: echo in udp:echo"],
    ["udp:65536", "Invalid port in endpoint description: 65536 in udp:65536"],
    ["udp:7:8", "Unexpected argument in endpoint description: 8 in udp:7:8"],
    [
      "udp:7:backlog=5",
      "Unknown option in endpoint description: backlog in udp:7:backlog=5 (known: port, interface)",
    ],
    [
      "udp:7:interface=",
      "Empty option in endpoint description: interface in udp:7:interface=",
    ],
  ];
  for (const [description, message] of table) {
    await assert.rejects(
      listenDatagram(description, new DatagramProtocol()),
      (error: unknown) => {
        assert.ok(error instanceof TypeError, `${description}: ${error}`);
        assert.equal(error.message, message, description);
        return true;
      },
    );
  }
});

Deno.test("tcp6 binds :: by default; backlog is accepted and not applied", async () => {
  const port = await listen("tcp6:0:backlog=5", Factory.forProtocol(Protocol));
  const addr = port.addr as Deno.NetAddr;
  assert.equal(addr.hostname, "::");
  assert.equal(port.description, `tcp6:${addr.port}:backlog=5`);
  const conn = await Deno.connect({ hostname: "::1", port: addr.port });
  conn.close();
  await port.close();
});
