/**
 * Why a connection ended: the reason handed to `Protocol.connectionLost`.
 * Every reason is an `Error` subclass with its own `name`; test for the kind
 * with `instanceof` (a `ConnectionAborted` is also a `ConnectionLost`).
 *
 * ```text
 * ConnectionClosed            any end of a connection
 * ├── ConnectionDone          clean close, by either side
 * └── ConnectionLost          unclean: reset, network error
 *     └── ConnectionAborted   this side called abortConnection()
 * ```
 *
 * @example Telling a clean close from a failure in `connectionLost`
 * ```ts
 * import { type ConnectionClosed, ConnectionDone, Protocol } from "@torsion/protocols";
 *
 * class Session extends Protocol {
 *   override connectionLost(reason: ConnectionClosed): void {
 *     if (reason instanceof ConnectionDone) console.log("closed cleanly");
 *     else console.warn(`lost: ${reason.message}`, reason.cause);
 *   }
 * }
 * new Session().connectionLost(new ConnectionDone());
 * ```
 *
 * @module
 */

/**
 * The base of every reason a connection can end with.
 *
 * @example Every reason is a `ConnectionClosed`
 * ```ts
 * import assert from "node:assert/strict";
 * import { ConnectionClosed, ConnectionDone } from "@torsion/protocols";
 *
 * const reason: ConnectionClosed = new ConnectionDone();
 * assert.ok(reason instanceof ConnectionClosed);
 * assert.equal(reason.name, "ConnectionDone");
 * ```
 */
export class ConnectionClosed extends Error {
  /**
   * Makes a reason.
   *
   * @param message What happened.
   * @param options `cause`: the underlying error, if any.
   */
  constructor(message = "Connection closed", options?: ErrorOptions) {
    super(message, options);
    this.name = "ConnectionClosed";
  }
}

/**
 * The connection was closed cleanly, by this side (`loseConnection`) or by the peer.
 *
 * @example The default message
 * ```ts
 * import assert from "node:assert/strict";
 * import { ConnectionDone } from "@torsion/protocols";
 *
 * assert.equal(new ConnectionDone().message, "Connection was closed cleanly");
 * ```
 */
export class ConnectionDone extends ConnectionClosed {
  /**
   * Makes a reason.
   *
   * @param message What happened.
   * @param options `cause`: the underlying error, if any.
   */
  constructor(
    message = "Connection was closed cleanly",
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "ConnectionDone";
  }
}

/**
 * The connection ended uncleanly: reset by the peer, or a network error
 * (kept as `cause`).
 *
 * @example Keeping the network error as `cause`
 * ```ts
 * import assert from "node:assert/strict";
 * import { ConnectionLost } from "@torsion/protocols";
 *
 * const reset = new Deno.errors.ConnectionReset("Connection reset by peer");
 * const reason = new ConnectionLost("Connection reset by peer", { cause: reset });
 * assert.equal(reason.name, "ConnectionLost");
 * assert.equal(reason.cause, reset);
 * ```
 */
export class ConnectionLost extends ConnectionClosed {
  /**
   * Makes a reason.
   *
   * @param message What happened.
   * @param options `cause`: the underlying error, if any.
   */
  constructor(
    message = "Connection to the other side was lost",
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "ConnectionLost";
  }
}

/**
 * This side called `abortConnection()`: the connection was closed at once and
 * whatever was still buffered was dropped.
 *
 * @example An abort is an unclean loss
 * ```ts
 * import assert from "node:assert/strict";
 * import { ConnectionAborted, ConnectionLost } from "@torsion/protocols";
 *
 * assert.ok(new ConnectionAborted() instanceof ConnectionLost);
 * ```
 */
export class ConnectionAborted extends ConnectionLost {
  /**
   * Makes a reason.
   *
   * @param message What happened.
   * @param options `cause`: the underlying error, if any.
   */
  constructor(
    message = "Connection was aborted locally",
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "ConnectionAborted";
  }
}
