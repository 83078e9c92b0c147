/**
 * Why a connection ended: the reason handed to `Protocol.connectionLost`.
 *
 * ```text
 * ConnectionClosed            any end of a connection
 * ├── ConnectionDone          clean close, by either side
 * └── ConnectionLost          unclean: reset, network error
 *     └── ConnectionAborted   this side called abortConnection()
 * ```
 *
 * @module
 */

/**
 * The base of every reason a connection can end with.
 *
 * @example Telling a clean close from a failure
 * ```ts
 * import { ConnectionClosed, ConnectionDone } from "@torsion/protocols";
 *
 * const reason: ConnectionClosed = new ConnectionDone();
 * console.log(reason instanceof ConnectionClosed, reason.name); // true "ConnectionDone"
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
 * @example
 * ```ts
 * import { ConnectionDone } from "@torsion/protocols";
 *
 * console.log(new ConnectionDone().message); // "Connection was closed cleanly"
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
 * @example
 * ```ts
 * import { ConnectionLost } from "@torsion/protocols";
 *
 * const reason = new ConnectionLost("Connection reset by peer");
 * console.log(reason.name); // "ConnectionLost"
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
 * @example
 * ```ts
 * import { ConnectionAborted, ConnectionLost } from "@torsion/protocols";
 *
 * console.log(new ConnectionAborted() instanceof ConnectionLost); // true
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
