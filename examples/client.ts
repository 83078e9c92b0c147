/**
 * A reconnecting client of the echo example: it sends `ping N` every second,
 * prints each line that comes back, and when the server goes away it
 * connects again with exponential back-off (`ReconnectingClientFactory`),
 * so it keeps working across server restarts. Shows `connect`,
 * `ClientFactory` hooks, `LineReceiver` on the client side, and a timer on
 * the factory's `clock`.
 *
 * Run it, in two terminals (from the repository root):
 *
 * ```sh
 * deno run --allow-net=127.0.0.1:8007 examples/echo.ts
 * deno run --allow-net=127.0.0.1:8007 examples/client.ts [DESCRIPTION] [--max-delay=SECONDS]
 * # connecting to tcp:host=127.0.0.1:port=8007
 * # connected
 * # received: ping 1
 * ```
 *
 * The description defaults to `tcp:host=127.0.0.1:port=8007`; any client
 * description works, with the permissions it needs:
 * `tls:host=H:port=P:caCerts=ca.pem` with `--allow-net=H:P
 * --allow-read=ca.pem`; `unix:/tmp/echo.sock` (the echo example run on
 * `unix:/tmp/echo.sock`) with `--allow-net=unix:/tmp/echo.sock
 * --allow-read=/tmp/echo.sock --allow-write=/tmp/echo.sock`.
 * `--max-delay` caps the wait between
 * attempts (default 3600 seconds). Stop the echo server and start it
 * again: the client reports the lost connection, retries, and carries on.
 * Ctrl+C (or SIGTERM) closes the connection and exits with status 0.
 *
 * @module
 */

import { connect } from "../endpoints/connect.ts";
import type { Connector } from "../protocols/client_factory.ts";
import type { ConnectionClosed } from "../protocols/errors.ts";
import { LineReceiver } from "../protocols/line_receiver.ts";
import type { DelayedCall } from "../protocols/reactor_time.ts";
import { ReconnectingClientFactory } from "../protocols/reconnecting_client_factory.ts";

/** Where the client connects by default: the echo example's default. */
export const defaultDescription = "tcp:host=127.0.0.1:port=8007";

/** Sends `ping N` every `factory.interval` ms and reports what comes back. */
export class PingClient extends LineReceiver {
  /** Resolves once the connection is gone. */
  readonly closed: PromiseWithResolvers<void> = Promise.withResolvers();
  #timer: DelayedCall | null = null;

  get #pinger(): PingClientFactory {
    return this.factory as PingClientFactory;
  }

  /** Report the connection and start pinging. */
  override connectionMade(): void {
    const factory = this.#pinger;
    factory.current = this;
    factory.log("connected");
    this.#ping();
  }

  /**
   * Report a line sent back.
   *
   * @param line The line, without its delimiter.
   */
  override lineReceived(line: string): void {
    this.#pinger.log(`received: ${line}`);
  }

  /** Stop pinging. */
  override connectionLost(): void {
    this.#timer?.cancel();
    this.#timer = null;
    if (this.#pinger.current === this) this.#pinger.current = null;
    this.closed.resolve();
  }

  #ping(): void {
    const factory = this.#pinger;
    this.sendLine(`ping ${++factory.pings}`);
    this.#timer = factory.clock.callLater(factory.interval, () => this.#ping());
  }
}

/** Builds `PingClient`s, reconnects, and reports each attempt through `log`. */
export class PingClientFactory extends ReconnectingClientFactory<PingClient> {
  /** The protocol built per connection. */
  override protocol: new () => PingClient = PingClient;
  /** Milliseconds between pings. */
  interval = 1000;
  /** Pings sent so far, across connections. */
  pings = 0;
  /** The connected protocol, if any. */
  current: PingClient | null = null;
  /** Where reports go. */
  log: (line: string) => void = (line) => console.log(line);

  /**
   * Report the failure, then retry (or not).
   *
   * @param connector The connection that was attempted.
   * @param reason Why it failed.
   */
  override clientConnectionFailed(connector: Connector, reason: Error): void {
    this.log(`connection failed: ${reason.message}`);
    super.clientConnectionFailed(connector, reason);
    this.#reportRetry();
  }

  /**
   * Report the loss, then reconnect (or not).
   *
   * @param connector The connection that ended.
   * @param reason Why it ended.
   */
  override clientConnectionLost(
    connector: Connector,
    reason: ConnectionClosed,
  ): void {
    this.log(`connection lost: ${reason.message}`);
    super.clientConnectionLost(connector, reason);
    this.#reportRetry();
  }

  #reportRetry(): void {
    if (this.continueTrying && !this.connector?.stopped) {
      this.log(`reconnecting in ${this.delay.toFixed(1)} s`);
    }
  }
}

/**
 * Run the client until SIGINT or SIGTERM.
 *
 * @param args `[DESCRIPTION] [--max-delay=SECONDS]`.
 * @returns The exit status: 0 after a signal, 2 for bad arguments.
 */
export async function main(args: string[]): Promise<number> {
  const factory = new PingClientFactory();
  let description = defaultDescription;
  for (const arg of args) {
    if (arg.startsWith("--max-delay=")) {
      const seconds = Number(arg.slice("--max-delay=".length));
      if (!(seconds > 0)) {
        console.error(`error: Invalid --max-delay: ${arg}`);
        return 2;
      }
      factory.maxDelay = seconds;
    } else if (arg.startsWith("--")) {
      console.error(`error: Unknown option: ${arg}`);
      return 2;
    } else description = arg;
  }
  const stopped = Promise.withResolvers<string>();
  const signals = ["SIGINT", "SIGTERM"] as const;
  const handlers = signals.map((signal) => {
    const handler = (): void => stopped.resolve(signal);
    Deno.addSignalListener(signal, handler);
    return handler;
  });
  console.log(`connecting to ${description}`);
  try {
    // A failed first attempt is retried like any other: the factory reports it.
    await connect(description, factory).catch(
      (error) => {
        if (error instanceof TypeError) throw error;
      },
    );
  } catch (error) {
    console.error(`error: ${error instanceof Error ? error.message : error}`);
    signals.forEach((s, i) => Deno.removeSignalListener(s, handlers[i]));
    return 2;
  }
  const signal = await stopped.promise;
  console.log(`${signal}: closing`);
  factory.stopTrying();
  const current = factory.current;
  if (current !== null) {
    current.transport!.loseConnection({ timeout: 5000 });
    await current.closed.promise;
  }
  signals.forEach((s, i) => Deno.removeSignalListener(s, handlers[i]));
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
