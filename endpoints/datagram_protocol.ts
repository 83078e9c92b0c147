/**
 * `DatagramProtocol`: the handler of a datagram (UDP) port, and the
 * `DatagramTransport` it sends through (Twisted's `DatagramProtocol` and
 * `IUDPTransport`; bind one with `listenDatagram`, Twisted's
 * `reactor.listenUDP`).
 *
 * Unlike a stream `Protocol` there is no connection: one protocol instance
 * serves the whole port, and every datagram comes with its sender's address.
 *
 * @module
 */

/** Where a datagram goes: a `Deno.NetAddr`, or just a host and a port. */
export interface DatagramAddress {
  /** An IP address (or a name resolved when sending). */
  hostname: string;
  /** The port, 1-65535. */
  port: number;
}

/** What a `DatagramProtocol` can do with its port (Twisted's `IUDPTransport`). */
export interface DatagramTransport {
  /**
   * Send one datagram. Never throws for a network failure (an unreachable
   * host, a datagram too large): that is reported through the port's
   * `onError`, since UDP gives no delivery guarantee anyway.
   *
   * @param data The datagram; a string is sent as UTF-8.
   * @param addr Where to send it.
   * @throws {TypeError} When `addr` is not a host and a port in 1-65535.
   *
   * @example Answering the sender
   * ```ts
   * import { DatagramProtocol } from "@torsion/protocols";
   *
   * class Pong extends DatagramProtocol {
   *   override datagramReceived(_data: Uint8Array, addr: Deno.NetAddr): void {
   *     this.transport!.write("pong", addr);
   *   }
   * }
   * ```
   */
  write(data: Uint8Array | string, addr: DatagramAddress): void;
  /**
   * The address the port is bound to.
   *
   * @returns The local address.
   */
  getHost(): Deno.NetAddr;
  /** Close the port; `stopProtocol()` follows. */
  loseConnection(): void;
}

/**
 * Handles the datagrams of one port: subclass it and override the hooks.
 * `listenDatagram("udp:8077", protocol)` binds a port and runs it.
 *
 * An exception thrown by `datagramReceived` is reported through the port's
 * `onError` and the port goes on receiving.
 *
 * @example A UDP echo, and a datagram sent to it
 * ```ts
 * import assert from "node:assert/strict";
 * import { DatagramProtocol, listenDatagram } from "@torsion/protocols";
 *
 * class Echo extends DatagramProtocol {
 *   override datagramReceived(data: Uint8Array, addr: Deno.NetAddr): void {
 *     this.transport!.write(data, addr);
 *   }
 * }
 * await using port = await listenDatagram("udp:0:interface=127.0.0.1", new Echo());
 *
 * // Deno.listenDatagram needs --unstable-net (this package's deno.json sets it).
 * const client = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
 * await client.send(new TextEncoder().encode("ping"), port.addr);
 * const [reply] = await client.receive();
 * assert.equal(new TextDecoder().decode(reply), "ping");
 * client.close();
 * ```
 */
export class DatagramProtocol {
  /** The port; set by `makeConnection`, null before it and after `stopProtocol`. */
  transport: DatagramTransport | null = null;

  /**
   * Attach this protocol to a port and call `startProtocol`.
   *
   * @param transport The port.
   * @throws {Error} When the protocol already runs on a port.
   */
  makeConnection(transport: DatagramTransport): void {
    if (this.transport !== null) {
      throw new Error("DatagramProtocol already runs on a port");
    }
    this.transport = transport;
    this.startProtocol();
  }

  /**
   * The port is bound and receiving. No-op by default.
   *
   * @example Announcing where it listens
   * ```ts
   * import { DatagramProtocol, listenDatagram } from "@torsion/protocols";
   *
   * class Announcer extends DatagramProtocol {
   *   override startProtocol(): void {
   *     console.log("receiving on port", this.transport!.getHost().port);
   *   }
   *   override stopProtocol(): void {
   *     console.log("closed");
   *   }
   * }
   * const port = await listenDatagram("udp:0:interface=127.0.0.1", new Announcer());
   * await port.close();
   * ```
   */
  startProtocol(): void {}

  /** The port is closed; no more datagrams arrive. No-op by default. */
  stopProtocol(): void {}

  /**
   * A datagram arrived. The bytes are the protocol's to keep. No-op by
   * default.
   *
   * @param _data The datagram.
   * @param _addr The sender.
   */
  datagramReceived(_data: Uint8Array, _addr: Deno.NetAddr): void {}
}
