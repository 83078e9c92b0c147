// The receiving half shared by NetstringReceiver and IntNStringReceiver:
// feeding the parser, delivering frames to `stringReceived`, pausing, and
// stopping for good at the first framing error.

import type { Transport } from "./transport.ts";

/** What the delivery needs of a frame parser. */
export interface StoppingParser<E extends Error> {
  push(chunk: Uint8Array): void;
  /** The next frame, undefined when more bytes are needed; throws an `E`. */
  next(): Uint8Array | undefined;
  /** The error that stopped the parser, if one did. */
  readonly error: E | null;
  maxLength: number;
}

/** What the delivery reads from and calls on its protocol. */
export interface FramedProtocol {
  readonly transport: Transport | null;
  readonly MAX_LENGTH: number;
  stringReceived(data: Uint8Array): void;
}

export class FrameDelivery<E extends Error> {
  #hooks: FramedProtocol;
  #makeParser: () => StoppingParser<E>;
  #errorType: abstract new (...args: never[]) => E;
  #onError: (error: E) => void;
  #parser: StoppingParser<E> | null = null;
  #paused = false;
  #receiving = false;

  /**
   * @param makeParser Called at the first bytes, so that settings a subclass
   *   assigns (a prefix length) are read once the protocol is built.
   * @param errorType The framing error class: other exceptions propagate.
   * @param onError Called once, with the error that stopped parsing.
   */
  constructor(
    hooks: FramedProtocol,
    makeParser: () => StoppingParser<E>,
    errorType: abstract new (...args: never[]) => E,
    onError: (error: E) => void,
  ) {
    this.#hooks = hooks;
    this.#makeParser = makeParser;
    this.#errorType = errorType;
    this.#onError = onError;
  }

  feed(data: Uint8Array): void {
    const parser = this.#parser ??= this.#makeParser();
    if (parser.error || this.#hooks.transport?.disconnecting) return;
    parser.push(data);
    this.deliver();
  }

  pause(): void {
    this.#paused = true;
    this.#hooks.transport?.pauseProducing();
  }

  resume(): void {
    this.#paused = false;
    this.#hooks.transport?.resumeProducing();
    this.deliver();
  }

  stop(): void {
    this.#paused = true;
    this.#hooks.transport?.stopProducing();
  }

  deliver(): void {
    // A hook that calls dataReceived or resumeProducing re-enters here: the
    // loop already running picks the new bytes up, in order.
    const parser = this.#parser;
    if (this.#receiving || parser === null) return;
    this.#receiving = true;
    const hooks = this.#hooks;
    try {
      while (
        !this.#paused && !parser.error && !hooks.transport?.disconnecting
      ) {
        parser.maxLength = hooks.MAX_LENGTH;
        let data: Uint8Array | undefined;
        try {
          data = parser.next();
        } catch (error) {
          if (!(error instanceof this.#errorType)) throw error;
          this.#onError(error);
          return;
        }
        if (data === undefined) return;
        hooks.stringReceived(data);
      }
    } finally {
      this.#receiving = false;
    }
  }
}
