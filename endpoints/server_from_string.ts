/**
 * `serverFromString`: a server endpoint from a Twisted-style description
 * (Twisted's `twisted.internet.endpoints.serverFromString`, without the
 * reactor argument).
 *
 * @module
 */

import {
  argument,
  checkKeys,
  type Description,
  option,
  parseDescription,
  parseInteger,
  parseList,
  parseMode,
  parsePort,
  splitRaw,
} from "./_description.ts";
import { HAProxyServerEndpoint } from "./haproxy_server_endpoint.ts";
import type { ServerEndpoint } from "./server_endpoint.ts";
import { TCPServerEndpoint } from "./tcp_server_endpoint.ts";
import { TLSServerEndpoint } from "./tls_server_endpoint.ts";
import { UNIXServerEndpoint } from "./unix_server_endpoint.ts";

const TCP_KEYS = ["port", "interface", "backlog"] as const;
const TLS_KEYS = [
  ...TCP_KEYS,
  "certKey",
  "privateKey",
  "extraCertChain",
  "alpn",
  "handshakeTimeout",
] as const;
const UNIX_KEYS = ["address", "mode", "backlog"] as const;

/**
 * Parse a server description (Twisted's syntax: `:` separated, `key=value`,
 * `\:` escapes a colon in a value).
 *
 * | description | listens on |
 * | --- | --- |
 * | `tcp:PORT[:interface=HOST][:backlog=N]` | TCP over IPv4 (all addresses by default) |
 * | `tcp6:PORT[:interface=\:\:1]` | TCP over IPv6 (`::` by default) |
 * | `tls:PORT:certKey=CERT.pem:privateKey=KEY.pem[:interface=HOST][:alpn=h2,http/1.1][:handshakeTimeout=MS]` | TLS over TCP (`ssl:` is a synonym) |
 * | `unix:PATH[:mode=660]` | a Unix socket; a stale socket file is replaced, the file removed on close |
 * | `haproxy:DESCRIPTION[:headerTimeout=MS]` | `tcp:`, `tcp6:` or `unix:` behind a proxy sending the PROXY protocol (v1 or v2) |
 *
 * `backlog=N` (1-65535) is accepted for Twisted compatibility but Deno does
 * not expose it, so it is not applied. For `tls:` the PEM files are read
 * here; as in Twisted, when only one of `certKey` / `privateKey` is given,
 * that file must hold both the certificate and the key.
 * `extraCertChain=FILE` appends intermediate certificates.
 * `handshakeTimeout` (ms, default 10 000) bounds how long a peer may take
 * to complete the TLS handshake. `headerTimeout` (ms, default 10 000) bounds
 * how long a connection to a `haproxy:` endpoint may take to send its PROXY
 * header; `haproxy:tls:` is refused (see `HAProxyServerEndpoint`).
 * Datagram (`udp:`) descriptions go to
 * `listenDatagram` instead.
 *
 * @param description The description, e.g. `tcp:8007:interface=127.0.0.1`.
 * @returns The endpoint; nothing is bound until its `listen`.
 * @throws {TypeError} When the description is malformed or a PEM file cannot
 *   be read; the message names the bad part.
 *
 * @example Parsing descriptions (nothing is bound yet)
 * ```ts
 * import assert from "node:assert/strict";
 * import { serverFromString, TCPServerEndpoint } from "@torsion/protocols";
 *
 * const endpoint = serverFromString("tcp:8007:interface=127.0.0.1");
 * assert.ok(endpoint instanceof TCPServerEndpoint);
 * assert.equal(endpoint.options.port, 8007);
 * assert.throws(() => serverFromString("tcp:notaport"), TypeError);
 * assert.throws(() => serverFromString("carrier-pigeon:8007"), TypeError);
 * ```
 *
 * @example Listening on a description, then on a Unix socket
 * ```ts
 * import { Factory, listen, Protocol, serverFromString } from "@torsion/protocols";
 *
 * const factory = Factory.forProtocol(Protocol);
 * const tcp = await serverFromString("tcp:0:interface=127.0.0.1").listen(factory);
 * const dir = await Deno.makeTempDir();
 * const unix = await listen(`unix:${dir}/app.sock:mode=600`, factory); // same factory
 * await Promise.all([tcp.close(), unix.close()]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function serverFromString(description: string): ServerEndpoint {
  const parsed = parseDescription(description);
  switch (parsed.kind) {
    case "tcp":
    case "tcp6": {
      checkKeys(parsed, TCP_KEYS);
      return new TCPServerEndpoint({
        ...parseTcp(parsed),
        ipv6: parsed.kind === "tcp6",
        description,
      });
    }
    case "tls":
    case "ssl": {
      checkKeys(parsed, TLS_KEYS);
      const { cert, key } = readCertificates(parsed);
      const alpn = option(parsed, "alpn");
      const timeout = option(parsed, "handshakeTimeout");
      return new TLSServerEndpoint({
        ...parseTcp(parsed),
        cert,
        key,
        alpnProtocols: alpn === undefined
          ? undefined
          : parseList(alpn, "alpn", description),
        handshakeTimeout: timeout === undefined ? undefined : parseInteger(
          timeout,
          "handshakeTimeout",
          description,
          { min: 1, max: 2 ** 31 - 1 },
        ),
        description,
      });
    }
    case "unix": {
      checkKeys(parsed, UNIX_KEYS);
      const path = argument(parsed, "address");
      if (path === undefined || path === "") {
        throw new TypeError(
          `Missing path in endpoint description: ${description}`,
        );
      }
      const mode = option(parsed, "mode");
      return new UNIXServerEndpoint({
        path,
        mode: mode === undefined ? undefined : parseMode(mode, description),
        backlog: parseBacklog(parsed),
        description,
      });
    }
    case "haproxy":
      return haproxyFromString(description);
    case "udp":
      throw new TypeError(
        `Datagram endpoint in a stream server description: udp in ${description} (use listenDatagram)`,
      );
    default:
      throw new TypeError(
        `Unknown endpoint type in description: ${parsed.kind} in ${description}`,
      );
  }
}

// `haproxy:` followed by any stream server description; `headerTimeout=MS`
// may appear among the inner description's options and is taken out of it.
function haproxyFromString(description: string): HAProxyServerEndpoint {
  const colon = description.indexOf(":");
  const inner = colon === -1 ? "" : description.slice(colon + 1);
  const parts: string[] = [];
  let timeout: string | undefined;
  for (const { raw } of splitRaw(inner)) {
    if (!raw.startsWith("headerTimeout=")) parts.push(raw);
    else if (timeout !== undefined) {
      throw new TypeError(
        `Duplicate option in endpoint description: headerTimeout in ${description}`,
      );
    } else timeout = raw.slice("headerTimeout=".length);
  }
  const kind = (parts[0] ?? "").trim().toLowerCase();
  if (kind === "") {
    throw new TypeError(
      `Missing endpoint after haproxy: in endpoint description: ${description}`,
    );
  }
  if (kind === "haproxy") {
    throw new TypeError(
      `Nested haproxy: in endpoint description: ${description}`,
    );
  }
  // Refused before the inner endpoint reads its PEM files.
  if (kind === "tls" || kind === "ssl") {
    throw new TypeError(
      `PROXY protocol over TLS is not supported: ${kind} in ${description} (the header precedes the TLS handshake, which Deno.listenTls reads itself; terminate TLS in the proxy)`,
    );
  }
  return new HAProxyServerEndpoint(serverFromString(parts.join(":")), {
    headerTimeout: timeout === undefined
      ? undefined
      : parseInteger(timeout, "headerTimeout", description, {
        min: 1,
        max: 2 ** 31 - 1,
      }),
    description,
  });
}

function parseTcp(
  parsed: Description,
): { port: number; hostname?: string; backlog?: number } {
  return {
    port: parsePort(argument(parsed, "port"), parsed.text),
    hostname: option(parsed, "interface"),
    backlog: parseBacklog(parsed),
  };
}

function parseBacklog(parsed: Description): number | undefined {
  const backlog = option(parsed, "backlog");
  return backlog === undefined ? undefined : parseInteger(
    backlog,
    "backlog",
    parsed.text,
    { min: 1, max: 65535 },
  );
}

const CERTIFICATE = /-----BEGIN CERTIFICATE-----/;
const PRIVATE_KEY = /-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----/;

// Twisted's rule: the key is required, the certificate defaults to the key's
// file; here either may stand for both, as long as the file holds both.
function readCertificates(parsed: Description): { cert: string; key: string } {
  const text = parsed.text;
  const certPath = option(parsed, "certKey");
  const keyPath = option(parsed, "privateKey");
  if (certPath === undefined && keyPath === undefined) {
    throw new TypeError(
      `Missing certKey and privateKey in endpoint description: ${text}`,
    );
  }
  const certFile = certPath ?? keyPath!;
  const keyFile = keyPath ?? certPath!;
  const cert = readPem(certFile, certPath ? "certKey" : "privateKey", text);
  const key = keyFile === certFile
    ? cert
    : readPem(keyFile, "privateKey", text);
  if (!CERTIFICATE.test(cert)) {
    throw new TypeError(
      certPath === undefined
        ? `Missing certKey in endpoint description: privateKey file ${keyFile} holds no certificate in ${text}`
        : `No PEM certificate in certKey file: ${certFile} in ${text}`,
    );
  }
  if (!PRIVATE_KEY.test(key)) {
    throw new TypeError(
      keyPath === undefined
        ? `Missing privateKey in endpoint description: certKey file ${certFile} holds no private key in ${text}`
        : `No PEM private key in privateKey file: ${keyFile} in ${text}`,
    );
  }
  const chainPath = option(parsed, "extraCertChain");
  if (chainPath === undefined) return { cert, key };
  const chain = readPem(chainPath, "extraCertChain", text);
  if (!CERTIFICATE.test(chain)) {
    throw new TypeError(
      `No PEM certificate in extraCertChain file: ${chainPath} in ${text}`,
    );
  }
  return { cert: `${cert.trimEnd()}\n${chain}`, key };
}

function readPem(path: string, key: string, text: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch (error) {
    const reason = error instanceof Error ? error.name : String(error);
    throw new TypeError(
      `Cannot read ${key} file in endpoint description: ${path} (${reason}) in ${text}`,
      { cause: error },
    );
  }
}
