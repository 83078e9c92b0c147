// The receiving half shared by LineReceiver and LineOnlyReceiver: feeding the
// parser, delivering lines (or raw data) to the protocol's hooks, pausing,
// and what happens after a line that is too long.

import { delimiterBytes, LineParser } from "./_line_parser.ts";
import { LineTooLongError } from "./line_too_long_error.ts";
import type { Transport } from "./transport.ts";

const CRLF = new Uint8Array([13, 10]);

/** What the delivery reads from and calls on its protocol. */
export interface LineHooks {
  readonly transport: Transport | null;
  readonly delimiter: string | Uint8Array;
  readonly MAX_LENGTH: number;
  readonly discardLongLineRest: boolean;
  lineBytesReceived(line: Uint8Array): void;
  lineLengthExceeded(buffer: Uint8Array): void;
  rawDataReceived?(data: Uint8Array): void;
}

export class LineDelivery {
  #hooks: LineHooks;
  #parser = new LineParser(CRLF, 16384);
  #delimiterSeen: string | Uint8Array = "\r\n";
  #rawMode = false;
  #paused = false;
  #receiving = false;
  // Inside a refused line whose delimiter has not come yet, with
  // discardLongLineRest on: its rest is dropped rather than taken for a line
  // of its own (as Twisted does, and as the default does for its vectors).
  #skipping = false;

  constructor(hooks: LineHooks) {
    this.#hooks = hooks;
  }

  get paused(): boolean {
    return this.#paused;
  }

  feed(data: Uint8Array): void {
    if (this.#hooks.transport?.disconnecting) return;
    this.#parser.feed(data);
    this.deliver();
  }

  setRawMode(): void {
    this.#rawMode = true;
    this.#skipping = false;
  }

  setLineMode(extra?: Uint8Array): void {
    // Handing bytes back (in lineLengthExceeded, say) takes over from the
    // skipping of the refused line's rest.
    if (extra !== undefined) this.#skipping = false;
    this.#rawMode = false;
    if (extra !== undefined && extra.length !== 0) {
      this.#parser.unshift(extra);
      this.deliver();
    }
  }

  takeAll(): Uint8Array {
    return this.#parser.takeAll();
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

  #refuse(buffer: Uint8Array): void {
    const delimiter = this.#parser.delimiter;
    if (this.#skipping) return this.#skipPast(buffer, delimiter);
    if (!this.#hooks.discardLongLineRest) {
      return this.#hooks.lineLengthExceeded(buffer);
    }
    // tokio's way: refuse that line alone; what follows it is parsed as
    // usual (set up first, so that bytes the hook hands back come before).
    const end = indexOfBytes(buffer, delimiter);
    if (end !== -1) {
      this.#parser.unshift(buffer.subarray(end + delimiter.length));
      return this.#hooks.lineLengthExceeded(buffer.subarray(0, end));
    }
    this.#skipping = true;
    // A delimiter may have begun at the very end: keep its start.
    this.#parser.unshift(delimiterStart(buffer, delimiter));
    this.#hooks.lineLengthExceeded(buffer);
  }

  // Still inside a refused line: drop up to and including its delimiter
  // and parse what follows it; else keep only a delimiter's possible start.
  #skipPast(buffer: Uint8Array, delimiter: Uint8Array): void {
    const end = indexOfBytes(buffer, delimiter);
    if (end === -1) {
      this.#parser.unshift(delimiterStart(buffer, delimiter));
      return;
    }
    this.#skipping = false;
    this.#parser.unshift(buffer.subarray(end + delimiter.length));
  }

  deliver(): void {
    // A hook that calls dataReceived, setLineMode or resumeProducing comes
    // back here: the loop already running picks up the change, in order.
    if (this.#receiving) return;
    this.#receiving = true;
    const hooks = this.#hooks;
    const parser = this.#parser;
    try {
      while (!this.#paused) {
        const transport = hooks.transport;
        if (transport !== null && transport.disconnecting) return;
        if (this.#rawMode) {
          const data = parser.takeChunk();
          if (data === null) return;
          hooks.rawDataReceived?.(data);
          continue;
        }
        const delimiter = hooks.delimiter;
        if (delimiter !== this.#delimiterSeen) {
          parser.delimiter = delimiterBytes(delimiter);
          this.#delimiterSeen = delimiter;
        }
        parser.maxLength = hooks.MAX_LENGTH;
        const line = parser.next();
        if (line === null) return;
        if (line instanceof LineTooLongError) {
          this.#refuse(parser.takeAll());
        } else if (this.#skipping) {
          this.#skipping = false; // the end of the refused line
        } else {
          hooks.lineBytesReceived(line);
        }
      }
    } finally {
      this.#receiving = false;
    }
  }
}

function indexOfBytes(haystack: Uint8Array, needle: Uint8Array): number {
  for (
    let at = haystack.indexOf(needle[0]);
    at !== -1 && at + needle.length <= haystack.length;
    at = haystack.indexOf(needle[0], at + 1)
  ) {
    let k = 1;
    while (k < needle.length && haystack[at + k] === needle[k]) k++;
    if (k === needle.length) return at;
  }
  return -1;
}

// The longest end of `bytes` that is the start of `delimiter` (shorter than it).
function delimiterStart(bytes: Uint8Array, delimiter: Uint8Array): Uint8Array {
  for (let k = Math.min(delimiter.length - 1, bytes.length); k > 0; k--) {
    const tail = bytes.subarray(bytes.length - k);
    if (tail.every((byte, i) => byte === delimiter[i])) return tail;
  }
  return new Uint8Array(0);
}

// Each receiver's delivery, for the subclass that adds raw mode
// (LineReceiver extends LineOnlyReceiver; `#` fields are not inherited).
const deliveries = new WeakMap<object, LineDelivery>();

/** Make the delivery of a line receiver and remember it for subclasses. */
export function attachLineDelivery(receiver: LineHooks): LineDelivery {
  const delivery = new LineDelivery(receiver);
  deliveries.set(receiver, delivery);
  return delivery;
}

/** The delivery made by `attachLineDelivery` for `receiver`. */
export function lineDeliveryOf(receiver: object): LineDelivery {
  return deliveries.get(receiver)!;
}
