// The main of the datagram examples, as `_serve.ts` is for the stream ones:
// bind each description given on the command line (or the example's
// defaults) with its own protocol instance, print `listening on DESCRIPTION`
// once per port, and close on SIGINT or SIGTERM.

import type { DatagramProtocol } from "../endpoints/datagram_protocol.ts";
import {
  type DatagramPort,
  listenDatagram,
} from "../endpoints/listen_datagram.ts";

export async function serveDatagram(
  makeProtocol: () => DatagramProtocol,
  defaults: string[],
  args: string[] = [],
): Promise<void> {
  // Listen for signals first: one that comes while binding still closes
  // gracefully once everything is bound.
  const stopped = Promise.withResolvers<string>();
  const signals = ["SIGINT", "SIGTERM"] as const;
  const handlers = signals.map((signal) => {
    const handler = (): void => stopped.resolve(signal);
    Deno.addSignalListener(signal, handler);
    return handler;
  });
  const ports: DatagramPort[] = [];
  const onError = (error: unknown): void => console.error("error:", error);
  try {
    for (const description of args.length > 0 ? args : defaults) {
      const port = await listenDatagram(description, makeProtocol(), {
        onError,
      });
      ports.push(port);
      console.log(`listening on ${port.description}`);
    }
  } catch (error) {
    console.error(`error: ${error instanceof Error ? error.message : error}`);
    await Promise.all(ports.map((port) => port.close()));
    Deno.exit(error instanceof TypeError ? 2 : 4);
  }
  const signal = await stopped.promise;
  console.error(`${signal}: closing`);
  await Promise.all(ports.map((port) => port.close()));
  signals.forEach((s, i) => Deno.removeSignalListener(s, handlers[i]));
  Deno.exit(0);
}
