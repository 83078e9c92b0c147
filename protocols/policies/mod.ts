/**
 * Policies: wrapping factories that add a behaviour to any factory's
 * connections, as in Twisted's `twisted.protocols.policies`. Every wrapper
 * passes on every event the wrapped protocol can receive, half-close
 * (`readConnectionLost`) included, and shows it the real transport's
 * `getPeer()` / `getHost()`. Wrappers stack.
 *
 * - `TimeoutFactory`: close connections idle for too long (`IdleTimer` for
 *   a protocol that keeps its own timeout).
 * - `LimitTotalConnectionsFactory`: at most N connections at once, with an
 *   optional protocol served to the ones past the limit.
 * - `LimitConnectionsByPeer`: at most N connections at once per peer host.
 * - `ThrottlingFactory`: bytes per second read and written, per factory.
 * - `TrafficLoggingFactory`: log every event, to a function or a file.
 * - `WrappingFactory` / `ProtocolWrapper`: the base to write your own.
 *
 * @example A server hardened against idle and greedy clients
 * ```ts
 * import {
 *   Factory,
 *   LimitConnectionsByPeer,
 *   listen,
 *   Protocol,
 *   TimeoutFactory,
 * } from "@torsion/protocols";
 *
 * class Echo extends Protocol {
 *   override dataReceived(data: Uint8Array): void {
 *     this.transport!.write(data);
 *   }
 * }
 * const factory = new TimeoutFactory(
 *   new LimitConnectionsByPeer(Factory.forProtocol(Echo), { maxConnectionsPerPeer: 10 }),
 *   { timeout: 60_000 },
 * );
 * const port = await listen("tcp:0:interface=127.0.0.1", factory);
 * await port.close();
 * ```
 *
 * @module
 */

export * from "./protocol_wrapper.ts";
export * from "./wrapping_factory.ts";
export * from "./idle_timer.ts";
export * from "./timeout_protocol.ts";
export * from "./timeout_factory.ts";
export * from "./limit_total_connections_factory.ts";
export * from "./limit_connections_by_peer.ts";
export * from "./throttling_factory.ts";
export * from "./traffic_logging_factory.ts";
