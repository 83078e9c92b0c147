/**
 * Why a connection attempt failed: the reasons `connect` rejects with and
 * hands to `ClientFactory.clientConnectionFailed` (Twisted's
 * `twisted.internet.error`).
 *
 * ```text
 * ConnectError                  any failure to connect (Deno's error as cause)
 * ├── ConnectionRefusedError    nothing listens there
 * ├── TimeoutError              no connection within the endpoint's timeout
 * └── ConnectingCancelledError  Connector.stopConnecting() / disconnect()
 * ```
 *
 * An attempt cancelled through an `AbortSignal` fails with the signal's
 * reason instead.
 *
 * @module
 */

/**
 * A connection attempt failed: the address is unreachable, a name does not
 * resolve, the TLS handshake failed. Deno's own error is kept as `cause`.
 *
 * @example Telling a refused connection from other failures
 * ```ts
 * import { ConnectError, ConnectionRefusedError } from "@torsion/protocols";
 *
 * const error: ConnectError = new ConnectionRefusedError("Connection refused: 127.0.0.1:1");
 * console.log(error instanceof ConnectError, error.name); // true "ConnectionRefusedError"
 * ```
 */
export class ConnectError extends Error {
  /**
   * Makes an error.
   *
   * @param message What happened, and where.
   * @param options `cause`: the underlying error.
   */
  constructor(message = "Connection failed", options?: ErrorOptions) {
    super(message, options);
    this.name = "ConnectError";
  }
}

/**
 * The other side refused the connection: nothing listens on that port, or
 * the Unix socket file has no live server behind it.
 *
 * @example
 * ```ts
 * import { ConnectionRefusedError } from "@torsion/protocols";
 *
 * console.log(new ConnectionRefusedError().name); // "ConnectionRefusedError"
 * ```
 */
export class ConnectionRefusedError extends ConnectError {
  /**
   * Makes an error.
   *
   * @param message What happened, and where.
   * @param options `cause`: the underlying error.
   */
  constructor(message = "Connection refused", options?: ErrorOptions) {
    super(message, options);
    this.name = "ConnectionRefusedError";
  }
}

/**
 * No connection (and, for TLS, no finished handshake) within the endpoint's
 * `timeout`. Its `name` is `"TimeoutError"`, as is that of the reason of
 * `AbortSignal.timeout()`.
 *
 * @example
 * ```ts
 * import { TimeoutError } from "@torsion/protocols";
 *
 * console.log(new TimeoutError().name); // "TimeoutError"
 * ```
 */
export class TimeoutError extends ConnectError {
  /**
   * Makes an error.
   *
   * @param message What happened, and where.
   * @param options `cause`: the underlying error, if any.
   */
  constructor(
    message = "Connection attempt timed out",
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "TimeoutError";
  }
}

/**
 * The attempt was cancelled by `Connector.stopConnecting()` (or
 * `disconnect()`) before it connected.
 *
 * @example
 * ```ts
 * import { ConnectingCancelledError } from "@torsion/protocols";
 *
 * console.log(new ConnectingCancelledError().message); // "Connection attempt cancelled"
 * ```
 */
export class ConnectingCancelledError extends ConnectError {
  /**
   * Makes an error.
   *
   * @param message What happened, and where.
   * @param options `cause`: the underlying error, if any.
   */
  constructor(
    message = "Connection attempt cancelled",
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "ConnectingCancelledError";
  }
}
