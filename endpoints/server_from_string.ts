/**
 * `serverFromString`: a server endpoint from a Twisted-style description.
 *
 * @module
 */

import { checkKeys, parseDescription, parsePort } from "./_description.ts";
import type { ServerEndpoint } from "./server_endpoint.ts";
import { TCPServerEndpoint } from "./tcp_server_endpoint.ts";

/**
 * Parse a server description (Twisted's syntax: `:` separated, `\:` escapes).
 *
 * | description | listens on |
 * | --- | --- |
 * | `tcp:PORT[:interface=HOST][:backlog=N]` | TCP over IPv4 (all addresses by default) |
 * | `tcp6:PORT[:interface=\:\:1]` | TCP over IPv6 |
 *
 * @param description The description, e.g. `tcp:8007:interface=127.0.0.1`.
 * @returns The endpoint; nothing is bound until its `listen`.
 * @throws {TypeError} When the description is malformed; the message names the bad part.
 *
 * @example
 * ```ts
 * import { serverFromString } from "@torsion/protocols";
 *
 * const endpoint = serverFromString("tcp:8007:interface=127.0.0.1");
 * ```
 */
export function serverFromString(description: string): ServerEndpoint {
  const parsed = parseDescription(description);
  switch (parsed.kind) {
    case "tcp":
    case "tcp6": {
      checkKeys(parsed, ["port", "interface", "backlog"]);
      const [portArg, extra] = parsed.args;
      if (extra !== undefined) {
        throw new TypeError(
          `Unexpected argument in endpoint description: ${extra} in ${description}`,
        );
      }
      const port = parsePort(parsed.kwargs.get("port") ?? portArg, description);
      const backlog = parsed.kwargs.get("backlog");
      if (backlog !== undefined && !/^[1-9]\d{0,5}$/.test(backlog)) {
        throw new TypeError(
          `Invalid backlog in endpoint description: ${backlog} in ${description}`,
        );
      }
      return new TCPServerEndpoint({
        port,
        hostname: parsed.kwargs.get("interface"),
        ipv6: parsed.kind === "tcp6",
        backlog: backlog === undefined ? undefined : Number(backlog),
        description,
      });
    }
    default:
      throw new TypeError(
        `Unknown endpoint type in description: ${parsed.kind} in ${description}`,
      );
  }
}
