// The receiving half shared by NetstringReceiver and IntNStringReceiver:
// feeding the parser, delivering frames to `stringReceived`, pausing, and
// stopping for good at the first framing error.
//
// The usual chunk starts between two frames and holds whole ones: those are
// cut straight out of it (the parser's `cut`), and only what is left (the
// start of a frame, a malformed one, what arrives while paused) goes through
// the parser's queue. A hook that feeds more bytes meanwhile has them wait
// for the rest of the chunk, so that order is kept.

import type { Transport } from "./transport.ts";

/** What the delivery needs of a frame parser. */
export interface StoppingParser<E extends Error> {
  /**
   * If a whole well-formed frame, within `maxLength`, starts at `chunk[at]`:
   * sets `cutStart` and `cutEnd` to its payload's bounds and returns where
   * the frame ends; else -1. Consumes nothing.
   */
  cut(chunk: Uint8Array, at: number): number;
  /** The payload's bounds found by the last successful `cut`. */
  readonly cutStart: number;
  readonly cutEnd: number;
  /** Bytes of an unfinished frame held; 0 between frames. */
  readonly pendingLength: number;
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
  // While a chunk is cut directly (#cutFrames), chunks a hook feeds wait in
  // #later: they come after the rest of that chunk.
  #cutting = false;
  #later: Uint8Array[] | null = null;

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
    if (this.#cutting) {
      (this.#later ??= []).push(data);
    } else if (this.#receiving || parser.pendingLength !== 0) {
      parser.push(data);
      this.deliver();
    } else if (this.#cutFrames(parser, data)) this.deliver();
  }

  // Deliver the whole frames at the start of `data` straight from it, until
  // paused, closed or fed more by a hook. What is left, then what hooks fed
  // meanwhile, go to the parser, in order (also when a hook throws). Returns
  // true when something did.
  #cutFrames(parser: StoppingParser<E>, data: Uint8Array): boolean {
    const hooks = this.#hooks;
    // Views made from the buffer and offset read once: cheaper than
    // subarray, which reads them for every frame.
    const buffer = data.buffer;
    const base = data.byteOffset;
    let at = 0;
    this.#receiving = true;
    this.#cutting = true;
    try {
      while (!this.#paused && this.#later === null) {
        const transport = hooks.transport;
        if (transport !== null && transport.disconnecting) break;
        parser.maxLength = hooks.MAX_LENGTH;
        const end = parser.cut(data, at);
        if (end < 0) break;
        const start = parser.cutStart;
        const frame = new Uint8Array(
          buffer,
          base + start,
          parser.cutEnd - start,
        );
        at = end;
        hooks.stringReceived(frame);
      }
    } finally {
      this.#receiving = false;
      this.#cutting = false;
      const later = this.#later;
      this.#later = null;
      if (at < data.length) parser.push(at === 0 ? data : data.subarray(at));
      if (later !== null) {
        for (const chunk of later) parser.push(chunk);
      }
    }
    return parser.pendingLength !== 0;
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
