// The main of every example: listen on each description given on the command
// line (or the example's defaults), print `listening on DESCRIPTION` once per
// endpoint, and close gracefully on SIGINT or SIGTERM.

import { listen } from "../endpoints/listen.ts";
import type { ListeningPort } from "../endpoints/listening_port.ts";
import type { Factory } from "../protocols/factory.ts";

/** A factory and where to serve it when no description is given. */
export interface Service {
  factory: Factory;
  defaults: string[];
}

/** How long connections get to flush on shutdown before they are aborted. */
const GRACE_MS = 5000;

export async function serve(
  services: Service[],
  args: string[] = [],
): Promise<void> {
  // Signals first: a SIGTERM right after `listening on` must still be graceful.
  const stopped = Promise.withResolvers<string>();
  const signals = ["SIGINT", "SIGTERM"] as const;
  const handlers = signals.map((signal) => {
    const handler = (): void => stopped.resolve(signal);
    Deno.addSignalListener(signal, handler);
    return handler;
  });
  const ports: ListeningPort[] = [];
  const onError = (error: unknown): void => console.error("error:", error);
  try {
    for (const { factory, defaults } of services) {
      for (const description of args.length > 0 ? args : defaults) {
        const port = await listen(description, factory, { onError });
        ports.push(port);
        console.log(`listening on ${port.description}`);
      }
    }
  } catch (error) {
    console.error(`error: ${error instanceof Error ? error.message : error}`);
    await Promise.all(ports.map((port) => port.close({ timeout: 0 })));
    Deno.exit(error instanceof TypeError ? 2 : 4);
  }
  const signal = await stopped.promise;
  console.error(`${signal}: closing`);
  await Promise.all(ports.map((port) => port.close({ timeout: GRACE_MS })));
  signals.forEach((s, i) => Deno.removeSignalListener(s, handlers[i]));
  Deno.exit(0);
}
