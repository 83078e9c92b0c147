// Serving in this process: listen on every description, report each once it
// accepts, wait for a stop signal, close gracefully within the grace period.
// The examples, `cli.ts serve` and each worker of `--workers` all end here.

import {
  argument,
  type Description,
  parseDescription,
  parsePort,
} from "../endpoints/_description.ts";
import type { ListeningPort } from "../endpoints/listening_port.ts";
import { serverFromString } from "../endpoints/server_from_string.ts";
import type { ServerEndpoint } from "../endpoints/server_endpoint.ts";
import type { TCPListenOptions } from "../endpoints/tcp_server_endpoint.ts";
import type { Factory } from "../protocols/factory.ts";
import type { Protocol } from "../protocols/protocol.ts";
import { UsageError } from "./_args.ts";
import { EXIT_BIND, EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from "./_exit.ts";
import { reason, type Service } from "./_load.ts";
import type { Logger } from "./_log.ts";

/** One factory on one endpoint. */
export interface Listening {
  factory: Factory;
  description: string;
  endpoint: ServerEndpoint;
}

/**
 * Pair factories with descriptions: the ones given, else each service's
 * defaults.
 *
 * @throws {UsageError} When nothing says where to listen, or descriptions are
 *   given to a module serving several factories.
 * @throws {TypeError} When a description is malformed.
 */
export function planListening(
  services: Service[],
  descriptions: string[],
): Listening[] {
  if (descriptions.length > 0 && services.length > 1) {
    throw new UsageError(
      `Descriptions given to a module that serves several factories on their defaults: ${
        descriptions.join(" ")
      }`,
    );
  }
  const plan: Listening[] = [];
  for (const { factory, defaults } of services) {
    const where = descriptions.length > 0 ? descriptions : defaults ?? [];
    if (where.length === 0) {
      throw new UsageError(
        "No description given and the module exports no defaults: serve MODULE tcp:PORT",
      );
    }
    for (const description of where) {
      plan.push({
        factory,
        description,
        endpoint: serverFromString(description),
      });
    }
  }
  return plan;
}

/**
 * Why `description` cannot be served by `--workers`, or null when it can:
 * every worker binds the same TCP port with SO_REUSEPORT.
 */
export function workerProblem(description: string): string | null {
  const parsed = boundDescription(description);
  if (parsed.kind !== "tcp" && parsed.kind !== "tcp6") {
    return `--workers serves tcp, tcp6 and haproxy:tcp descriptions only: ${description}`;
  }
  if (parsePort(argument(parsed, "port"), description) === 0) {
    return `--workers needs an explicit port, not 0 (every worker binds the same one): ${description}`;
  }
  return null;
}

/** The parsed description of what is bound: the one inside `haproxy:`. */
export function boundDescription(description: string): Description {
  const parsed = parseDescription(description);
  return parsed.kind === "haproxy"
    ? parseDescription(description.slice(description.indexOf(":") + 1))
    : parsed;
}

/** Options of `serveListening`. */
export interface ServeOptions {
  log: Logger;
  /** Milliseconds open connections get to flush on shutdown. */
  grace: number;
  /** Bind with SO_REUSEPORT (a worker of `--workers`). */
  reusePort?: boolean;
  /**
   * Called once every endpoint accepts, with their descriptions (port 0
   * resolved). Default: `log.listening` for each.
   */
  onListening?: (descriptions: string[]) => void;
  /** Signals that close gracefully. Default SIGINT and SIGTERM. */
  stopSignals?: Deno.Signal[];
  /** Signals to ignore (a worker leaves SIGINT to its supervisor). */
  ignoreSignals?: Deno.Signal[];
  /** Also close gracefully when this resolves (with the reason to log). */
  stop?: Promise<string>;
}

/**
 * Serve `plan` until a stop signal, then close gracefully.
 *
 * @returns The exit code: 0 after a graceful close, 2 or 4 (or 1) when an
 *   endpoint could not listen.
 */
export async function serveListening(
  plan: Listening[],
  options: ServeOptions,
): Promise<number> {
  const { log, grace } = options;
  // Signals first: a SIGTERM right after `listening on` must still be graceful.
  const stopped = Promise.withResolvers<string>();
  const listeners: [Deno.Signal, () => void][] = [];
  const stopSignals = options.stopSignals ?? ["SIGINT", "SIGTERM"];
  for (const signal of stopSignals) {
    listeners.push([signal, () => stopped.resolve(signal)]);
  }
  for (const signal of options.ignoreSignals ?? []) {
    listeners.push([signal, () => log.debug("signal ignored", { signal })]);
  }
  for (const [signal, handler] of listeners) addSignal(signal, handler);
  options.stop?.then(stopped.resolve);

  const ports: ListeningPort[] = [];
  try {
    for (const { factory, description, endpoint } of plan) {
      let name = description; // port 0 resolved once bound
      const listenOptions: TCPListenOptions = {
        onError: (error, protocol) => {
          const fields = { port: name, peer: peerOf(protocol), error };
          if (protocol) log.error("connection error", fields);
          else if (resetBeforeAccept(error)) {
            log.debug("connection reset before accept", fields);
          } else log.error("port error", fields);
        },
      };
      if (options.reusePort) listenOptions.reusePort = true;
      const port = await endpoint.listen(factory, listenOptions);
      name = port.description;
      ports.push(port);
      log.debug("bound", { description: name });
    }
  } catch (error) {
    const code = exitCodeOf(error);
    log.error(
      code === EXIT_USAGE ? "Bad description" : "Cannot listen",
      { description: plan[ports.length].description, error: reason(error) },
    );
    await Promise.all(ports.map((port) => port.close({ timeout: 0 })));
    for (const [signal, handler] of listeners) removeSignal(signal, handler);
    return code;
  }
  const descriptions = ports.map((port) => port.description);
  if (options.onListening) options.onListening(descriptions);
  else for (const description of descriptions) log.listening(description);

  const why = await stopped.promise;
  const open = ports.reduce((n, port) => n + port.connections, 0);
  log.info("closing", { reason: why, connections: open, grace });
  await Promise.all(ports.map((port) => port.close({ timeout: grace })));
  for (const port of ports) {
    log.info("closed", { description: port.description, ...port.metrics });
  }
  for (const [signal, handler] of listeners) removeSignal(signal, handler);
  return EXIT_OK;
}

/** The exit code for an error of `listen`. */
export function exitCodeOf(error: unknown): number {
  if (error instanceof TypeError || error instanceof UsageError) {
    return EXIT_USAGE;
  }
  if (
    error instanceof Deno.errors.AddrInUse ||
    error instanceof Deno.errors.AddrNotAvailable ||
    error instanceof Deno.errors.PermissionDenied ||
    error instanceof Deno.errors.NotCapable
  ) {
    return EXIT_BIND;
  }
  return EXIT_FAILURE;
}

// A peer that connects and resets at once (HAProxy's health checks do)
// makes Deno's accept fail: the peer's doing, not the port's.
function resetBeforeAccept(error: unknown): boolean {
  return error instanceof Deno.errors.NotConnected ||
    error instanceof Deno.errors.ConnectionReset ||
    error instanceof Deno.errors.ConnectionAborted;
}

function peerOf(protocol: Protocol | undefined): string | undefined {
  try {
    const addr = protocol?.transport?.getPeer();
    if (addr === undefined) return undefined;
    if ("hostname" in addr) return `${addr.hostname}:${addr.port}`;
    return "path" in addr ? addr.path || "unix" : undefined;
  } catch {
    return undefined;
  }
}

// SIGTERM does not exist on Windows: there only SIGINT (Ctrl+C) stops.
function addSignal(signal: Deno.Signal, handler: () => void): void {
  try {
    Deno.addSignalListener(signal, handler);
  } catch {
    // Not supported on this system.
  }
}

function removeSignal(signal: Deno.Signal, handler: () => void): void {
  try {
    Deno.removeSignalListener(signal, handler);
  } catch {
    // Never added.
  }
}
