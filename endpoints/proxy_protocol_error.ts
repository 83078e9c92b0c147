/**
 * `ProxyProtocolError`: a connection to a `haproxy:` endpoint whose PROXY
 * protocol header was bad, missing or late.
 *
 * @module
 */

/**
 * The PROXY protocol header of a connection was malformed (bad signature,
 * unsupported version, a v1 line too long, an address or port that does
 * not parse, a truncated v2 block), missing (the peer closed first, or sent
 * something else), or did not arrive within the endpoint's `headerTimeout`.
 * Only that connection is closed; the error is reported through the
 * listening port's `onError`, and the factory never sees the connection.
 *
 * @example Telling PROXY protocol failures apart in `onError`
 * ```ts
 * import { ProxyProtocolError } from "@torsion/protocols";
 *
 * const onError = (error: unknown): void => {
 *   if (error instanceof ProxyProtocolError) console.warn(error.message);
 *   else console.error(error);
 * };
 * onError(new ProxyProtocolError("Invalid PROXY v1 source port: 65536"));
 * ```
 */
export class ProxyProtocolError extends Error {
  /** The real address of the peer that sent the header, when known. */
  readonly peer: Deno.Addr | null;
  /** True when no complete header arrived within the timeout. */
  readonly timedOut: boolean;

  /**
   * Makes the error.
   *
   * @param message What is wrong with the header, e.g.
   *   `"Invalid PROXY v1 source port: 65536"`.
   * @param options `cause`: the underlying error; `peer`: the real address
   *   of the sender; `timedOut`.
   */
  constructor(
    message: string,
    options: ErrorOptions & { peer?: Deno.Addr; timedOut?: boolean } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "ProxyProtocolError";
    this.peer = options.peer ?? null;
    this.timedOut = options.timedOut ?? false;
  }
}
