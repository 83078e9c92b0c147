/**
 * `clientFromString`: a client endpoint from a Twisted-style description
 * (Twisted's `twisted.internet.endpoints.clientFromString`, without the
 * reactor argument).
 *
 * @module
 */

import {
  checkKeys,
  type Description,
  parseDescription,
} from "./_description.ts";
import type { ClientEndpoint } from "./client_endpoint.ts";
import { TCPClientEndpoint } from "./tcp_client_endpoint.ts";
import { TLSClientEndpoint } from "./tls_client_endpoint.ts";
import { UNIXClientEndpoint } from "./unix_client_endpoint.ts";

/**
 * Parse a client description (Twisted's syntax: `:` separated, `key=value`,
 * `\:` escapes, so an IPv6 address is written `host=\:\:1`).
 *
 * | description | connects to |
 * | --- | --- |
 * | `tcp:host=H:port=P[:timeout=S]` (or `tcp:H:P`) | TCP; `transport.startTLS()` can upgrade it |
 * | `tls:host=H:port=P[:caCerts=CA.pem][:hostname=NAME][:alpn=h2,http/1.1][:timeout=S]` | TLS (`ssl:` too) |
 * | `unix:PATH[:timeout=S]` (or `unix:path=PATH`) | a Unix domain socket |
 *
 * `timeout` is in seconds (default 30, as in Twisted) and covers the TLS
 * handshake. `caCerts` names a PEM file of certificates to trust besides
 * the system's, read now; `hostname` is the name the server's certificate
 * must carry (default: `host`).
 *
 * @param description The description, e.g. `tcp:host=127.0.0.1:port=8007`.
 * @returns The endpoint; nothing connects until `connect`.
 * @throws {TypeError} When the description is malformed or the `caCerts`
 *   file cannot be read; the message names the bad part.
 *
 * @example Parsing descriptions (nothing connects yet)
 * ```ts
 * import assert from "node:assert/strict";
 * import { clientFromString } from "@torsion/protocols";
 *
 * const endpoint = clientFromString("tcp:host=127.0.0.1:port=8007:timeout=5");
 * assert.deepEqual(endpoint.getDestination(), { transport: "tcp", hostname: "127.0.0.1", port: 8007 });
 * assert.equal(endpoint.timeout, 5);
 * assert.deepEqual(clientFromString("tcp:\\:\\:1:8007").getDestination(), {
 *   transport: "tcp",
 *   hostname: "::1",
 *   port: 8007,
 * });
 * assert.deepEqual(clientFromString("unix:/run/app.sock").getDestination(), {
 *   transport: "unix",
 *   path: "/run/app.sock",
 * });
 * assert.throws(() => clientFromString("tcp:host=127.0.0.1:port=0"), TypeError);
 * ```
 */
export function clientFromString(description: string): ClientEndpoint {
  const parsed = parseDescription(description);
  switch (parsed.kind) {
    case "tcp": {
      checkKeys(parsed, ["host", "port", "timeout"]);
      const [hostname, port] = hostAndPort(parsed);
      return new TCPClientEndpoint({
        hostname,
        port,
        timeout: timeoutOf(parsed),
      });
    }
    case "tls":
    case "ssl": {
      checkKeys(parsed, [
        "host",
        "port",
        "timeout",
        "caCerts",
        "hostname",
        "alpn",
      ]);
      const [hostname, port] = hostAndPort(parsed);
      const caCertsPath = parsed.kwargs.get("caCerts");
      const serverName = parsed.kwargs.get("hostname");
      if (serverName === "") fail("Missing hostname", "", parsed.text);
      const alpn = parsed.kwargs.get("alpn");
      return new TLSClientEndpoint({
        hostname,
        port,
        serverName,
        caCerts: caCertsPath === undefined
          ? undefined
          : [readCaCerts(caCertsPath, parsed.text)],
        alpnProtocols: alpn === undefined
          ? undefined
          : alpnList(alpn, parsed.text),
        timeout: timeoutOf(parsed),
      });
    }
    case "unix": {
      checkKeys(parsed, ["path", "timeout"]);
      const path = single(parsed, "path", 0);
      if (path === undefined || path === "") {
        fail("Missing socket path", path ?? "", parsed.text);
      }
      extraArgs(parsed, 1);
      return new UNIXClientEndpoint({ path, timeout: timeoutOf(parsed) });
    }
    default:
      throw new TypeError(
        `Unknown endpoint type in description: ${parsed.kind} in ${description}`,
      );
  }
}

function fail(what: string, value: string, text: string): never {
  throw new TypeError(
    `${what} in endpoint description: ${
      value === "" ? "(missing)" : value
    } in ${text}`,
  );
}

// A value given by keyword or at a position, not both.
function single(
  parsed: Description,
  key: string,
  position: number,
): string | undefined {
  const keyed = parsed.kwargs.get(key);
  const positional = parsed.args[position];
  if (keyed !== undefined && positional !== undefined) {
    throw new TypeError(
      `Duplicate ${key} in endpoint description: ${positional} and ${key}=${keyed} in ${parsed.text}`,
    );
  }
  return keyed ?? positional;
}

function extraArgs(parsed: Description, count: number): void {
  const extra = parsed.args[count];
  if (extra !== undefined) {
    throw new TypeError(
      `Unexpected argument in endpoint description: ${extra} in ${parsed.text}`,
    );
  }
}

function hostAndPort(parsed: Description): [string, number] {
  const host = single(parsed, "host", 0);
  if (host === undefined || host === "") fail("Missing host", "", parsed.text);
  const port = single(parsed, "port", 1);
  extraArgs(parsed, 2);
  if (
    port === undefined || !/^\d{1,5}$/.test(port) || Number(port) < 1 ||
    Number(port) > 65535
  ) {
    fail("Invalid port", port ?? "", parsed.text);
  }
  return [host, Number(port)];
}

function timeoutOf(parsed: Description): number | undefined {
  const value = parsed.kwargs.get("timeout");
  if (value === undefined) return undefined;
  if (!/^\d+(\.\d+)?$/.test(value) || !(Number(value) > 0)) {
    fail("Invalid timeout", value, parsed.text);
  }
  return Number(value);
}

function readCaCerts(path: string, text: string): string {
  if (path === "") fail("Missing caCerts file", "", text);
  let pem: string;
  try {
    pem = Deno.readTextFileSync(path);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new TypeError(
      `Cannot read caCerts file in endpoint description: ${path} (${reason}) in ${text}`,
      { cause: error },
    );
  }
  if (!pem.includes("-----BEGIN CERTIFICATE-----")) {
    throw new TypeError(
      `No PEM certificate in caCerts file in endpoint description: ${path} in ${text}`,
    );
  }
  return pem;
}

function alpnList(value: string, text: string): string[] {
  const protocols = value.split(",").map((name) => name.trim());
  if (protocols.some((name) => name === "")) fail("Invalid alpn", value, text);
  return protocols;
}
