/**
 * `listenDatagram`: run a `DatagramProtocol` on a UDP port described by a
 * string (`udp:8077:interface=127.0.0.1`).
 *
 * Needs Deno's unstable `net` API (`Deno.listenDatagram`): run with
 * `--unstable-net`, or put `"unstable": ["net"]` in `deno.json` as this
 * package does for its own examples and tests.
 *
 * @module
 */

import { toBytes } from "../protocols/_encode.ts";
import { type ReactorTime, realClock } from "../protocols/reactor_time.ts";
import {
  argument,
  checkKeys,
  option,
  parseDescription,
  parsePort,
  withPort,
} from "./_description.ts";
import type {
  DatagramAddress,
  DatagramProtocol,
  DatagramTransport,
} from "./datagram_protocol.ts";

/** Options of `listenDatagram`. */
export interface DatagramListenOptions {
  /** Aborting it closes the port. */
  signal?: AbortSignal;
  /**
   * Reports an exception thrown by `datagramReceived` or `stopProtocol`
   * (the port goes on), a failed send, or a receive error. Default:
   * `console.error`.
   */
  onError?: (error: unknown, protocol?: DatagramProtocol) => void;
  /** Called with the bound address once the port receives. */
  onListen?: (addr: Deno.NetAddr) => void;
  /** The clock of the back-off after receive errors. Default: real time. */
  clock?: ReactorTime;
}

/** A `DatagramProtocol` running on a bound UDP socket (Twisted's `udp.Port`). */
export interface DatagramPort extends DatagramTransport, AsyncDisposable {
  /** The bound address (port 0 resolved to the real port). */
  readonly addr: Deno.NetAddr;
  /** The description this port was made from, with port 0 resolved. */
  readonly description: string;
  /** Resolves once the port is closed and `stopProtocol` has run. */
  readonly finished: Promise<void>;
  /**
   * Stop receiving, let pending sends finish, close the socket, then call
   * the protocol's `stopProtocol()`.
   *
   * @returns Resolves once closed.
   *
   * @example Closing a port
   * ```ts
   * import assert from "node:assert/strict";
   * import { DatagramProtocol, listenDatagram } from "@torsion/protocols";
   *
   * const protocol = new DatagramProtocol();
   * const port = await listenDatagram("udp:0:interface=127.0.0.1", protocol);
   * await port.close();
   * assert.equal(protocol.transport, null); // stopProtocol has run
   * ```
   */
  close(): Promise<void>;
}

const BACKOFF_MIN = 5;
const BACKOFF_MAX = 1000;
// Larger than any UDP payload (65 507 bytes over IPv4), so nothing is cut.
const RECEIVE_BUFFER = 65536;

/**
 * Bind a UDP port and run `protocol` on it: `startProtocol()` once bound,
 * `datagramReceived(data, addr)` per datagram, `stopProtocol()` after
 * `close()`. Descriptions: `udp:PORT[:interface=HOST]` (default interface
 * `0.0.0.0`; `interface=\:\:1` for IPv6).
 *
 * @param description Where to bind, e.g. `udp:8077:interface=127.0.0.1`.
 * @param protocol The protocol; one instance serves the whole port.
 * @param options `signal`, `onError`, `onListen`.
 * @returns The port, once bound and started.
 * @throws {TypeError} For a malformed description (the message names the bad
 *   part) or a protocol already running on a port.
 *
 * @example A UDP echo on a free port
 * ```ts
 * import { DatagramProtocol, listenDatagram } from "@torsion/protocols";
 *
 * class Echo extends DatagramProtocol {
 *   override datagramReceived(data: Uint8Array, addr: Deno.NetAddr): void {
 *     this.transport!.write(data, addr);
 *   }
 * }
 * await using port = await listenDatagram("udp:0:interface=127.0.0.1", new Echo());
 * console.log(`listening on ${port.description}`); // udp:PORT:interface=127.0.0.1
 * ```
 *
 * Talk to it with `socat - UDP:127.0.0.1:PORT` or `nc -u 127.0.0.1 PORT`.
 */
// deno-lint-ignore require-await
export async function listenDatagram(
  description: string,
  protocol: DatagramProtocol,
  options: DatagramListenOptions = {},
): Promise<DatagramPort> {
  const { port, hostname } = parseDatagramDescription(description);
  if (protocol.transport !== null) {
    throw new TypeError(
      "DatagramProtocol already runs on a port: use one instance per port",
    );
  }
  options.signal?.throwIfAborted();
  const conn = Deno.listenDatagram({ port, hostname, transport: "udp" });
  const addr = conn.addr as Deno.NetAddr;
  const udp = new UDPPort(
    conn,
    protocol,
    withPort(description, addr.port),
    options,
  );
  udp.start();
  return udp;
}

function parseDatagramDescription(
  text: string,
): { port: number; hostname: string } {
  const parsed = parseDescription(text);
  if (parsed.kind !== "udp") {
    throw new TypeError(
      `Not a datagram endpoint description: ${parsed.kind} in ${text} (expected udp:PORT)`,
    );
  }
  checkKeys(parsed, ["port", "interface"]);
  const port = parsePort(argument(parsed, "port"), text);
  return { port, hostname: option(parsed, "interface") ?? "0.0.0.0" };
}

function checkAddress(addr: DatagramAddress): Deno.NetAddr {
  const { hostname, port } = addr ?? {};
  if (
    typeof hostname !== "string" || hostname === "" ||
    !Number.isInteger(port) || port < 1 || port > 65535
  ) {
    throw new TypeError(
      `Invalid datagram address: expected { hostname, port } with a port in 1-65535, got ${
        JSON.stringify(addr)
      }`,
    );
  }
  return { transport: "udp", hostname, port };
}

class UDPPort implements DatagramPort {
  readonly addr: Deno.NetAddr;
  readonly description: string;
  readonly finished: Promise<void>;
  #done = Promise.withResolvers<void>();
  #conn: Deno.DatagramConn;
  #protocol: DatagramProtocol;
  #options: DatagramListenOptions;
  #clock: ReactorTime;
  #open = true;
  #sends = new Set<Promise<void>>();
  #received: Promise<void> = Promise.resolve();
  #closing: Promise<void> | null = null;
  #wakeBackoff: (() => void) | null = null;
  #onAbort = (): void => {
    this.close().catch((error) => this.#report(error));
  };

  constructor(
    conn: Deno.DatagramConn,
    protocol: DatagramProtocol,
    description: string,
    options: DatagramListenOptions,
  ) {
    this.#conn = conn;
    this.#protocol = protocol;
    this.#options = options;
    this.#clock = options.clock ?? realClock;
    this.addr = conn.addr as Deno.NetAddr;
    this.description = description;
    this.finished = this.#done.promise;
  }

  // Start the protocol; if startProtocol throws, nothing stays bound.
  start(): void {
    try {
      this.#protocol.makeConnection(this);
    } catch (error) {
      this.#open = false;
      this.#protocol.transport = null;
      this.#conn.close();
      this.#done.resolve();
      throw error;
    }
    this.#received = this.#receiveLoop();
    this.#options.signal?.addEventListener("abort", this.#onAbort, {
      once: true,
    });
    this.#options.onListen?.(this.addr);
  }

  getHost(): Deno.NetAddr {
    return this.addr;
  }

  write(data: Uint8Array | string, addr: DatagramAddress): void {
    const to = checkAddress(addr);
    if (!this.#open) return;
    const send: Promise<void> = this.#conn.send(toBytes(data), to).then(
      () => {
        this.#sends.delete(send);
      },
      (error) => {
        this.#sends.delete(send);
        if (!this.#open) return;
        const detail = error instanceof Error ? error.message : String(error);
        this.#report(
          new Error(
            `Datagram send failed: to ${to.hostname}:${to.port}: ${detail}`,
            { cause: error },
          ),
        );
      },
    );
    this.#sends.add(send);
  }

  loseConnection(): void {
    this.close().catch((error) => this.#report(error));
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #close(): Promise<void> {
    if (!this.#open) return;
    this.#open = false;
    this.#options.signal?.removeEventListener("abort", this.#onAbort);
    // Let what was written go out before the socket closes.
    await Promise.allSettled([...this.#sends]);
    try {
      this.#conn.close();
    } catch {
      // Already closed.
    }
    this.#wakeBackoff?.();
    await this.#received;
    const protocol = this.#protocol;
    try {
      protocol.stopProtocol();
    } catch (error) {
      this.#report(error, protocol);
    } finally {
      protocol.transport = null;
      this.#done.resolve();
    }
  }

  async #receiveLoop(): Promise<void> {
    const buffer = new Uint8Array(RECEIVE_BUFFER);
    let delay = BACKOFF_MIN;
    while (this.#open) {
      let view: Uint8Array;
      let from: Deno.Addr;
      try {
        [view, from] = await this.#conn.receive(buffer);
      } catch (error) {
        if (!this.#open || error instanceof Deno.errors.BadResource) return;
        // An ICMP error surfacing on the socket and the like: report it and
        // go on, backing off so that a persistent error cannot spin.
        this.#report(error);
        await this.#backoff(delay);
        delay = Math.min(delay * 2, BACKOFF_MAX);
        continue;
      }
      delay = BACKOFF_MIN;
      if (!this.#open) return;
      // The buffer is reused: the protocol gets its own copy to keep.
      const data = view.slice();
      try {
        this.#protocol.datagramReceived(data, from as Deno.NetAddr);
      } catch (error) {
        this.#report(error, this.#protocol);
      }
    }
  }

  #backoff(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const call = this.#clock.callLater(ms, () => {
        this.#wakeBackoff = null;
        resolve();
      });
      this.#wakeBackoff = () => {
        call.cancel();
        this.#wakeBackoff = null;
        resolve();
      };
    });
  }

  #report(error: unknown, protocol?: DatagramProtocol): void {
    const onError = this.#options.onError;
    try {
      if (onError) onError(error, protocol);
      else console.error("torsion:", error);
    } catch (reportError) {
      console.error("torsion: onError failed:", reportError);
    }
  }
}
