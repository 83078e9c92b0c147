// Shared helpers of the policy tests: protocols that record what they hear, a
// transport that records every call made on it, and the list of policies to
// run the same socket tests through.

import {
  ConnectionAborted,
  type ConnectionClosed,
  ConnectionDone,
  Factory,
  type LoseConnectionOptions,
  type Producer,
  Protocol,
  type StartTlsOptions,
  type Transport,
} from "../../../mod.ts";
import {
  LimitConnectionsByPeer,
  LimitTotalConnectionsFactory,
  ThrottlingFactory,
  TimeoutFactory,
  TrafficLoggingFactory,
  WrappingFactory,
} from "../../../protocols/policies/mod.ts";
import { Clock, StringTransport } from "../../../testing/mod.ts";

export const enc = new TextEncoder();
export const dec = new TextDecoder();
export const b = (text: string): Uint8Array => enc.encode(text);

/** Twisted's SimpleProtocol: records connection, data and loss. */
export class Simple extends Protocol {
  made = 0;
  lost: ConnectionClosed[] = [];
  buffer = "";
  override connectionMade(): void {
    this.made++;
  }
  override dataReceived(data: Uint8Array): void {
    this.buffer += dec.decode(data);
  }
  override connectionLost(reason: ConnectionClosed): void {
    this.lost.push(reason);
  }
  get disconnected(): boolean {
    return this.lost.length > 0;
  }
}

/** Twisted's EchoProtocol. */
export class Echo extends Protocol {
  override dataReceived(data: Uint8Array): void {
    this.transport!.write(data);
  }
}

/** A StringTransport whose loseConnection / abortConnection deliver connectionLost. */
export class ClosingTransport extends StringTransport {
  protocol: Protocol | null = null;
  #lost = false;
  override loseConnection(options?: LoseConnectionOptions): void {
    super.loseConnection(options);
    this.lose(new ConnectionDone());
  }
  override abortConnection(): void {
    super.abortConnection();
    this.lose(new ConnectionAborted());
  }
  lose(reason: ConnectionClosed): void {
    if (this.#lost || this.protocol === null) return;
    this.#lost = true;
    this.protocol.connected = false;
    this.protocol.connectionLost(reason);
  }
}

/** A transport recording every call (method name and arguments). */
export class RecordingTransport implements Transport {
  calls: unknown[][] = [];
  disconnecting = false;
  bufferedAmount = 7;
  alpnProtocol: string | null = "h2";
  #high = 100;
  #low = 10;
  peer: Deno.Addr = { transport: "tcp", hostname: "10.0.0.2", port: 4242 };
  host: Deno.Addr = { transport: "tcp", hostname: "10.0.0.1", port: 80 };

  get highWaterMark(): number {
    this.calls.push(["get highWaterMark"]);
    return this.#high;
  }
  set highWaterMark(value: number) {
    this.calls.push(["set highWaterMark", value]);
    this.#high = value;
  }
  get lowWaterMark(): number {
    this.calls.push(["get lowWaterMark"]);
    return this.#low;
  }
  set lowWaterMark(value: number) {
    this.calls.push(["set lowWaterMark", value]);
    this.#low = value;
  }
  write(data: Uint8Array | string): void {
    this.calls.push(["write", data]);
  }
  writeSequence(chunks: Iterable<Uint8Array | string>): void {
    this.calls.push(["writeSequence", [...chunks]]);
  }
  loseConnection(options?: LoseConnectionOptions): void {
    this.calls.push(["loseConnection", options]);
  }
  abortConnection(): void {
    this.calls.push(["abortConnection"]);
  }
  loseWriteConnection(): void {
    this.calls.push(["loseWriteConnection"]);
  }
  getPeer(): Deno.Addr {
    return this.peer;
  }
  getHost(): Deno.Addr {
    return this.host;
  }
  pauseProducing(): void {
    this.calls.push(["pauseProducing"]);
  }
  resumeProducing(): void {
    this.calls.push(["resumeProducing"]);
  }
  stopProducing(): void {
    this.calls.push(["stopProducing"]);
  }
  registerProducer(producer: Producer, streaming: boolean): void {
    this.calls.push(["registerProducer", producer, streaming]);
  }
  unregisterProducer(): void {
    this.calls.push(["unregisterProducer"]);
  }
  setTcpNoDelay(on: boolean): void {
    this.calls.push(["setTcpNoDelay", on]);
  }
  setTcpKeepAlive(on: boolean): void {
    this.calls.push(["setTcpKeepAlive", on]);
  }
}

/** A RecordingTransport that offers STARTTLS. */
export class TlsCapableTransport extends RecordingTransport {
  startTLS(options?: StartTlsOptions): Promise<void> {
    this.calls.push(["startTLS", options]);
    return Promise.resolve();
  }
}

export const ADDR: Deno.NetAddr = {
  transport: "tcp",
  hostname: "127.0.0.1",
  port: 12345,
};

/** Every policy, each wrapping `factory`, plus all of them stacked. */
export function policies(): [string, (factory: Factory) => Factory][] {
  const clock = new Clock();
  return [
    ["WrappingFactory", (f) => new WrappingFactory(f)],
    [
      "TimeoutFactory",
      (f) => new TimeoutFactory(f, { timeout: 60_000, clock }),
    ],
    [
      "LimitTotalConnectionsFactory",
      (f) => new LimitTotalConnectionsFactory(f, { connectionLimit: 10 }),
    ],
    ["LimitConnectionsByPeer", (f) => new LimitConnectionsByPeer(f)],
    [
      "ThrottlingFactory",
      (f) =>
        new ThrottlingFactory(f, {
          readLimit: 1_000_000,
          writeLimit: 1_000_000,
          clock,
        }),
    ],
    ["TrafficLoggingFactory", (f) => new TrafficLoggingFactory(f, () => {})],
    [
      "all of them stacked",
      (f) =>
        new TrafficLoggingFactory(
          new ThrottlingFactory(
            new TimeoutFactory(
              new LimitConnectionsByPeer(
                new LimitTotalConnectionsFactory(new WrappingFactory(f), {
                  connectionLimit: 10,
                }),
              ),
              { timeout: 60_000, clock },
            ),
            { readLimit: 1_000_000, writeLimit: 1_000_000, clock },
          ),
          () => {},
        ),
    ],
  ];
}

/** A factory of `Simple` protocols for unit tests. */
export function simpleFactory(): Factory<Simple> {
  return Factory.forProtocol(Simple);
}
