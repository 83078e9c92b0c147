/**
 * `TLSHandshakeError`: a TLS server connection whose handshake failed or
 * timed out.
 *
 * @module
 */

/**
 * A TLS handshake with a peer failed (garbage instead of a ClientHello, a
 * client that rejected the certificate) or did not finish within the
 * endpoint's `handshakeTimeout`. Only that connection is closed; the error is
 * reported through the listening port's `onError`, with the underlying
 * error as `cause`.
 *
 * @example Telling handshake failures apart in `onError`
 * ```ts
 * import { TLSHandshakeError } from "@torsion/protocols";
 *
 * const onError = (error: unknown): void => {
 *   if (error instanceof TLSHandshakeError) console.warn(error.message);
 *   else console.error(error);
 * };
 * onError(new TLSHandshakeError("TLS handshake failed: 127.0.0.1:5000: bad record"));
 * ```
 */
export class TLSHandshakeError extends Error {
  /** The peer whose handshake failed, when known. */
  readonly peer: Deno.Addr | null;
  /** True when the handshake did not finish in time. */
  readonly timedOut: boolean;

  /**
   * Makes the error.
   *
   * @param message What happened, naming the peer.
   * @param options `cause`: the underlying error; `peer`; `timedOut`.
   */
  constructor(
    message: string,
    options: ErrorOptions & { peer?: Deno.Addr; timedOut?: boolean } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "TLSHandshakeError";
    this.peer = options.peer ?? null;
    this.timedOut = options.timedOut ?? false;
  }
}
