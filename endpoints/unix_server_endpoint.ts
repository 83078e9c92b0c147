/**
 * `UNIXServerEndpoint`: listening on a Unix domain socket.
 *
 * Binding a path needs it free. A socket file left behind by a dead process
 * is found by trying to connect to it: refused means nobody listens, so the
 * file is replaced; accepted means a live server owns it, and the bind fails
 * with `AddrInUse` rather than stealing its address. Anything at the path
 * that is not a socket is never touched.
 *
 * @module
 */

import type { Factory } from "../protocols/factory.ts";
import { escapeValue } from "./_description.ts";
import {
  type ListeningPort,
  type ListenOptions,
  serveListener,
} from "./listening_port.ts";
import type { ServerEndpoint } from "./server_endpoint.ts";

/** Options of `UNIXServerEndpoint`. */
export interface UNIXServerEndpointOptions {
  /** The socket's path. */
  path: string;
  /**
   * Permission bits applied to the socket file once bound (e.g. `0o660`);
   * until then it has the permissions the process's umask gives.
   */
  mode?: number;
  /**
   * Pending-connection queue length. Accepted for compatibility with
   * Twisted's descriptions; Deno does not expose it, so it is not applied.
   */
  backlog?: number;
  /** The description this endpoint was parsed from, reported by its ports. */
  description?: string;
}

/**
 * Where to listen on a Unix socket (Twisted's `UNIXServerEndpoint`).
 * `serverFromString("unix:/run/app.sock:mode=660")` makes one. The socket
 * file is removed when the port stops listening. Deno asks for
 * `--allow-net=unix:PATH --allow-read=PATH --allow-write=PATH`.
 *
 * @example Listening on a socket file in a temporary directory
 * ```ts
 * import { Factory, Protocol, UNIXServerEndpoint } from "@torsion/protocols";
 *
 * const dir = await Deno.makeTempDir();
 * const endpoint = new UNIXServerEndpoint({ path: `${dir}/app.sock`, mode: 0o600 });
 * const port = await endpoint.listen(Factory.forProtocol(Protocol));
 * await port.close();
 * await Deno.remove(dir);
 * ```
 */
export class UNIXServerEndpoint implements ServerEndpoint {
  /** The options this endpoint binds with. */
  readonly options: UNIXServerEndpointOptions;

  /**
   * Describe where to listen.
   *
   * @param options Path, file mode.
   * @throws {TypeError} When the path is empty.
   * @throws {RangeError} When the mode is not in 0-0o7777.
   */
  constructor(options: UNIXServerEndpointOptions) {
    if (typeof options.path !== "string" || options.path === "") {
      throw new TypeError("Unix socket path missing: path is empty");
    }
    const { mode } = options;
    if (
      mode !== undefined && !(Number.isInteger(mode) && mode >= 0 &&
        mode <= 0o7777)
    ) {
      throw new RangeError(`File mode out of range: ${mode}`);
    }
    this.options = options;
  }

  /**
   * Bind and serve `factory`.
   *
   * @param factory Builds a protocol per connection.
   * @param options Error reporting, cancellation.
   * @returns The listening port, once bound. Rejects with
   *   `Deno.errors.AddrInUse` when a live server listens on the path, and
   *   `Deno.errors.AlreadyExists` when something other than a socket is there.
   * @throws {Deno.errors.AddrInUse} (as a rejection) When a live server
   *   listens on the path.
   * @throws {Deno.errors.AlreadyExists} (as a rejection) When something other
   *   than a socket is at the path.
   *
   * @example Talking to it over the socket
   * ```ts
   * import assert from "node:assert/strict";
   * import { Factory, Protocol, UNIXServerEndpoint } from "@torsion/protocols";
   *
   * class Hello extends Protocol {
   *   override connectionMade(): void {
   *     this.transport!.write("hello\n");
   *     this.transport!.loseConnection();
   *   }
   * }
   * const dir = await Deno.makeTempDir();
   * const path = `${dir}/hello.sock`;
   * const port = await new UNIXServerEndpoint({ path }).listen(Factory.forProtocol(Hello));
   * const conn = await Deno.connect({ transport: "unix", path });
   * assert.equal(await new Response(conn.readable).text(), "hello\n");
   * await port.close(); // removes the socket file
   * await Deno.remove(dir);
   * ```
   */
  async listen(
    factory: Factory,
    options: ListenOptions = {},
  ): Promise<ListeningPort> {
    const { path, mode } = this.options;
    await clearStaleSocket(path);
    const listener = Deno.listen({ transport: "unix", path });
    let bound: Deno.FileInfo;
    try {
      if (mode !== undefined) await Deno.chmod(path, mode);
      bound = await Deno.lstat(path);
    } catch (error) {
      listener.close();
      throw error;
    }
    return serveListener(new SocketFileListener(listener, bound), factory, {
      ...options,
      description: this.options.description ?? `unix:${escapeValue(path)}`,
    });
  }
}

async function clearStaleSocket(path: string): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw error;
  }
  if (!info.isSocket) {
    throw new Deno.errors.AlreadyExists(
      `Unix socket path is taken by something that is not a socket: ${path}`,
    );
  }
  let live: Deno.Conn;
  try {
    live = await Deno.connect({ transport: "unix", path });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return; // removed meanwhile
    if (!(error instanceof Deno.errors.ConnectionRefused)) throw error;
    // Nobody listens: a socket file left behind by a dead process.
    await Deno.remove(path).catch((removeError) => {
      if (!(removeError instanceof Deno.errors.NotFound)) throw removeError;
    });
    return;
  }
  live.close();
  throw new Deno.errors.AddrInUse(
    `Unix socket in use by a live server: ${path}`,
  );
}

// The listener, removing its socket file on close. Deno 2 already unlinks
// the path when a Unix listener closes (whatever is there by then); this
// covers runtimes that don't, and removes only the file it bound (same
// device and inode).
class SocketFileListener implements Deno.Listener {
  #listener: Deno.Listener;
  #bound: Deno.FileInfo;
  #closed = false;

  constructor(listener: Deno.Listener, bound: Deno.FileInfo) {
    this.#listener = listener;
    this.#bound = bound;
  }

  get addr(): Deno.Addr {
    return this.#listener.addr;
  }

  accept(): Promise<Deno.Conn> {
    return this.#listener.accept();
  }

  close(): void {
    this.#listener.close();
    if (this.#closed) return;
    this.#closed = true;
    const path = (this.#listener.addr as Deno.UnixAddr).path;
    try {
      const now = Deno.lstatSync(path);
      if (now.dev === this.#bound.dev && now.ino === this.#bound.ino) {
        Deno.removeSync(path);
      }
    } catch {
      // Already gone (Deno removes it itself on close).
    }
  }

  ref(): void {
    this.#listener.ref();
  }

  unref(): void {
    this.#listener.unref();
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<Deno.Conn> {
    return this.#listener[Symbol.asyncIterator]();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
