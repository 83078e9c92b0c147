/**
 * torsion: Twisted's protocol layer for Deno, in TypeScript.
 *
 * A `Protocol` handles the events of one connection (`connectionMade`,
 * `dataReceived`, `connectionLost`) and talks back through its `transport`
 * (`write`, `loseConnection`); a `Factory` builds one per connection and
 * holds what they share; `listen` serves a factory on an endpoint described
 * by a string (`tcp:8007`), `connect` runs one over an outgoing connection.
 * Zero dependencies: Deno APIs and Web Streams only.
 *
 * | area | exports |
 * | --- | --- |
 * | core | `Protocol`, `Factory`, `Transport`, `Producer`, `ConnectionDone` / `ConnectionLost` / `ConnectionAborted`, `realClock` |
 * | servers | `listen`, `serverFromString` (`tcp:`, `tcp6:`, `tls:`, `unix:`, `haproxy:`), `ListeningPort`, `TCPServerEndpoint`, `TLSServerEndpoint`, `UNIXServerEndpoint`, `HAProxyServerEndpoint`, `serveListener` |
 * | clients | `connect`, `connectProtocol`, `clientFromString`, `ClientFactory`, `ReconnectingClientFactory`, `Connector`, `ConnectError` and subclasses |
 * | datagrams | `DatagramProtocol`, `listenDatagram` (`udp:`) |
 * | framing | `LineReceiver`, `LineOnlyReceiver`, `NetstringReceiver`, `Int8StringReceiver` / `Int16StringReceiver` / `Int32StringReceiver`, and the stream forms `LineDecoderStream`, `NetstringDecoderStream`, `IntNDecoderStream`, … |
 * | policies | `TimeoutFactory`, `IdleTimer`, `LimitTotalConnectionsFactory`, `LimitConnectionsByPeer`, `ThrottlingFactory`, `TrafficLoggingFactory`, `WrappingFactory`, `ProtocolWrapper` |
 * | files | `FileSender` |
 *
 * Also: `@torsion/protocols/testing` (`StringTransport`, `connectedPair`,
 * `Clock`), `@torsion/protocols/cli` (the runner, Twisted's `twistd`) and
 * `@torsion/protocols/otel` (OpenTelemetry metrics of a port).
 *
 * Permissions: `--allow-net` for the addresses served or dialled
 * (`--allow-net=127.0.0.1:8007`); `--allow-read` for `tls:` certificate
 * files and `caCerts`; `--allow-net=unix:PATH`, `--allow-read=PATH` and
 * `--allow-write=PATH` for a `unix:` socket; `--unstable-net` for `udp:`
 * (`listenDatagram`) and `reusePort`.
 *
 * @example An echo server (RFC 862)
 * ```ts
 * import { Factory, listen, Protocol } from "@torsion/protocols";
 *
 * class Echo extends Protocol {
 *   override dataReceived(data: Uint8Array): void {
 *     this.transport!.write(data);
 *   }
 * }
 *
 * const port = await listen("tcp:0:interface=127.0.0.1", Factory.forProtocol(Echo));
 * console.log(`listening on ${port.description}`);
 * await port.close();
 * ```
 *
 * @example An echo server and a client, over a real socket
 * ```ts
 * import assert from "node:assert/strict";
 * import { ClientFactory, connect, Factory, LineReceiver, listen } from "@torsion/protocols";
 *
 * class Echo extends LineReceiver {
 *   override lineReceived(line: string): void {
 *     this.sendLine(line);
 *   }
 * }
 * class Hello extends LineReceiver {
 *   reply = Promise.withResolvers<string>();
 *   override connectionMade(): void {
 *     this.sendLine("hello");
 *   }
 *   override lineReceived(line: string): void {
 *     this.reply.resolve(line);
 *     this.transport!.loseConnection();
 *   }
 * }
 *
 * await using port = await listen("tcp:0:interface=127.0.0.1", Factory.forProtocol(Echo));
 * const { port: portNumber } = port.addr as Deno.NetAddr;
 * const hello = await connect(`tcp:host=127.0.0.1:port=${portNumber}`, ClientFactory.forProtocol(Hello));
 * assert.equal(await hello.reply.promise, "hello");
 * ```
 *
 * @module
 */

export * from "./protocols/errors.ts";
export * from "./protocols/factory.ts";
export * from "./protocols/protocol.ts";
export * from "./protocols/reactor_time.ts";
export * from "./protocols/transport.ts";
export * from "./endpoints/conn_transport.ts";
export * from "./endpoints/listen.ts";
export * from "./endpoints/listening_port.ts";
export * from "./endpoints/server_endpoint.ts";
export * from "./endpoints/server_from_string.ts";
export * from "./endpoints/tcp_server_endpoint.ts";
export * from "./protocols/netstring_receiver.ts";
export * from "./protocols/netstring_parse_error.ts";
export * from "./protocols/netstring_streams.ts";
export * from "./protocols/int_n_string_receiver.ts";
export * from "./protocols/int_n_streams.ts";
export * from "./protocols/length_limit_exceeded_error.ts";
export * from "./protocols/string_too_long_error.ts";
export * from "./protocols/truncated_frame_error.ts";
export * from "./protocols/line_receiver.ts";
export * from "./protocols/line_only_receiver.ts";
export * from "./protocols/line_streams.ts";
export * from "./protocols/line_too_long_error.ts";
export * from "./protocols/client_factory.ts";
export * from "./protocols/reconnecting_client_factory.ts";
export * from "./endpoints/client_endpoint.ts";
export * from "./endpoints/client_from_string.ts";
export * from "./endpoints/connect.ts";
export * from "./endpoints/connect_error.ts";
export * from "./endpoints/tcp_client_endpoint.ts";
export * from "./endpoints/tls_client_endpoint.ts";
export * from "./endpoints/unix_client_endpoint.ts";
export * from "./endpoints/datagram_protocol.ts";
export * from "./endpoints/listen_datagram.ts";
export * from "./endpoints/tls_handshake_error.ts";
export * from "./endpoints/tls_server_endpoint.ts";
export * from "./endpoints/unix_server_endpoint.ts";
export * from "./endpoints/haproxy_server_endpoint.ts";
export * from "./endpoints/proxy_protocol_error.ts";
export * from "./protocols/policies/mod.ts";
export * from "./protocols/file_sender.ts";
