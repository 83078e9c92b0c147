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
 * import assert from "node:assert/strict";
 * import { ConnectError, ConnectionRefusedError } from "@torsion/protocols";
 *
 * const error: ConnectError = new ConnectionRefusedError("Connection refused: 127.0.0.1:1");
 * assert.ok(error instanceof ConnectError);
 * assert.equal(error.name, "ConnectionRefusedError");
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
 * @example What `connect` rejects with when nothing listens
 * ```ts
 * import assert from "node:assert/strict";
 * import { ClientFactory, connect, ConnectionRefusedError, Protocol } from "@torsion/protocols";
 *
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const { port } = listener.addr;
 * listener.close(); // nothing listens there now
 * await assert.rejects(
 *   connect(`tcp:host=127.0.0.1:port=${port}`, ClientFactory.forProtocol(Protocol)),
 *   ConnectionRefusedError,
 * );
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
 * @example Its name
 * ```ts
 * import assert from "node:assert/strict";
 * import { TimeoutError } from "@torsion/protocols";
 *
 * assert.equal(new TimeoutError().name, "TimeoutError");
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
 * @example The default message
 * ```ts
 * import assert from "node:assert/strict";
 * import { ConnectingCancelledError } from "@torsion/protocols";
 *
 * assert.equal(new ConnectingCancelledError().message, "Connection attempt cancelled");
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
