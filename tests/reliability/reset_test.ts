// A peer that resets in the middle of a message: that connection gets
// connectionLost(ConnectionLost), the half message is never delivered, and
// the other connections and the listener go on as if nothing happened.

import assert from "node:assert/strict";
import {
  ConnectionAborted,
  type ConnectionClosed,
  ConnectionLost,
  LineReceiver,
} from "../../mod.ts";
import {
  connectTo,
  decoder,
  encoder,
  ListFactory,
  readN,
  serve,
} from "../_net.ts";

class Chat extends LineReceiver {
  lines: string[] = [];
  bytes = 0;
  lost = Promise.withResolvers<ConnectionClosed>();
  #waiters: { bytes: number; resolve: () => void }[] = [];
  override dataReceived(data: Uint8Array): void {
    this.bytes += data.length;
    this.#waiters = this.#waiters.filter((w) => {
      if (this.bytes < w.bytes) return true;
      w.resolve();
      return false;
    });
    super.dataReceived(data);
  }
  override lineReceived(line: string): void {
    this.lines.push(line);
    // A reply far larger than the client reads: unread bytes make its
    // close() a reset.
    if (line === "big") this.transport!.write(new Uint8Array(256 * 1024));
    else this.sendLine(`echo ${line}`);
  }
  override connectionLost(reason: ConnectionClosed): void {
    this.lost.resolve(reason);
  }
  waitFor(bytes: number): Promise<void> {
    if (this.bytes >= bytes) return Promise.resolve();
    const { promise, resolve } = Promise.withResolvers<void>();
    this.#waiters.push({ bytes, resolve });
    return promise;
  }
}

async function line(conn: Deno.Conn, text: string): Promise<string> {
  await conn.write(encoder.encode(text + "\r\n"));
  const reply = `echo ${text}\r\n`;
  return decoder.decode(await readN(conn, reply.length)).trimEnd();
}

// A peer process that sends a line and half of another, reads nothing, and
// is then killed: the kernel closes its socket with unread data, which sends
// a reset. (Deno's own close() shuts the write side down first, so a peer in
// this process would say goodbye cleanly before the reset.)
const PEER = `
const conn = await Deno.connect({ hostname: "127.0.0.1", port: Number(Deno.args[0]) });
await conn.write(new TextEncoder().encode("big\\r\\nhalf a mess"));
console.log("sent");
setInterval(() => {}, 60_000);
`;

Deno.test("a peer that resets mid-message: ConnectionLost for it, other connections unaffected", async () => {
  const reported: unknown[] = [];
  const factory = new ListFactory(() => new Chat());
  await using port = await serve(factory, {
    onError: (error) => reported.push(error),
  });
  const other = await connectTo(port);
  assert.equal(await line(other, "before"), "echo before");
  const sentBefore = port.metrics.bytesSent;

  const peer = new Deno.Command(Deno.execPath(), {
    args: ["eval", PEER, String((port.addr as Deno.NetAddr).port)],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const victim = await factory.nth(1);
  await victim.waitFor("big\r\nhalf a mess".length);
  // The reply to "big" has reached the peer's socket, and stays unread.
  while (port.metrics.bytesSent === sentBefore) {
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  peer.kill("SIGKILL");
  await peer.status;
  await peer.stdout.cancel();

  const reason = await victim.lost.promise;
  assert.ok(reason instanceof ConnectionLost, reason.name);
  assert.ok(!(reason instanceof ConnectionAborted));
  assert.ok(reason.cause instanceof Error);
  assert.deepEqual(victim.lines, ["big"]); // the half message never came

  // The other connection and the listener carry on.
  assert.equal(await line(other, "after"), "echo after");
  const fresh = await connectTo(port);
  assert.equal(await line(fresh, "new"), "echo new");
  assert.equal(port.connections, 2);
  assert.equal(port.metrics.errors, 0);
  assert.deepEqual(reported, []);
  other.close();
  fresh.close();
});
