// A StringTransport that counts calls on the Transport API: a writeSequence
// counts once (the socket transport sends the pieces of one tick in one
// write anyway), for the "one write per frame" checks of the senders.

import { StringTransport } from "../../testing/string_transport.ts";

export class CountingTransport extends StringTransport {
  writes = 0;
  #inSequence = false;

  override write(data: Uint8Array | string): void {
    if (!this.#inSequence) this.writes++;
    super.write(data);
  }

  override writeSequence(chunks: Iterable<Uint8Array | string>): void {
    this.writes++;
    this.#inSequence = true;
    try {
      super.writeSequence(chunks);
    } finally {
      this.#inSequence = false;
    }
  }
}
