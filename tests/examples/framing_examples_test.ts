// The framing examples as users run them: answer, chat, netstring_echo and
// int32_echo in their own process, talked to over real sockets.

import assert from "node:assert/strict";
import { decoder, encoder, readAll, readN } from "../_net.ts";
import { start } from "../_process.ts";
import { answers, defaultAnswer } from "../../examples/answer.ts";

const local = "tcp:0:interface=127.0.0.1";

function dial(port: number): Promise<Deno.TcpConn> {
  return Deno.connect({ hostname: "127.0.0.1", port });
}

/** Reads CRLF lines from a connection. */
class Lines {
  #buffer = "";
  #chunk = new Uint8Array(4096);
  constructor(readonly conn: Deno.Conn) {}

  async next(): Promise<string | null> {
    for (;;) {
      const end = this.#buffer.indexOf("\r\n");
      if (end !== -1) {
        const line = this.#buffer.slice(0, end);
        this.#buffer = this.#buffer.slice(end + 2);
        return line;
      }
      const n = await this.conn.read(this.#chunk);
      if (n === null) return null;
      this.#buffer += decoder.decode(this.#chunk.subarray(0, n), {
        stream: true,
      });
    }
  }

  send(line: string): Promise<number> {
    return this.conn.write(encoder.encode(`${line}\r\n`));
  }
}

Deno.test("answer example: answers from the table, or the default", async () => {
  const server = await start("examples/answer.ts", [local]);
  const lines = new Lines(await dial(server.ports[0]));
  // Pipelined questions in one write are answered in order.
  await lines.conn.write(
    encoder.encode("How are you?\r\nWhat?\r\nHow are you?\r\n"),
  );
  assert.equal(await lines.next(), answers.get("How are you?"));
  assert.equal(await lines.next(), defaultAnswer);
  assert.equal(await lines.next(), "Fine");
  lines.conn.close();
  assert.equal((await server.stop()).code, 0);
});

Deno.test("chat example: nicks, broadcast, /who, /quit", async () => {
  const server = await start("examples/chat.ts", [local]);
  const alice = new Lines(await dial(server.ports[0]));
  const bob = new Lines(await dial(server.ports[0]));
  assert.match((await alice.next())!, /What is your nick/);
  assert.match((await bob.next())!, /What is your nick/);
  await alice.send("alice");
  assert.match((await alice.next())!, /Welcome, alice! 1 here/);
  await bob.send("alice");
  assert.equal(await bob.next(), "alice is taken. Try again:");
  await bob.send("bad nick!");
  assert.match((await bob.next())!, /Nicks are/);
  await bob.send("bob");
  assert.match((await bob.next())!, /Welcome, bob! 2 here/);
  assert.equal(await alice.next(), "* bob has joined");
  await alice.send("hello bob");
  assert.equal(await bob.next(), "<alice> hello bob");
  await bob.send("/who");
  assert.equal(await bob.next(), "Here: alice, bob");
  await bob.send("x".repeat(2000));
  assert.match((await bob.next())!, /Line too long/);
  await bob.send("/quit");
  assert.equal(await bob.next(), "Bye!");
  assert.equal(await bob.next(), null);
  assert.equal(await alice.next(), "* bob has left");
  alice.conn.close();
  bob.conn.close();
  assert.equal((await server.stop("SIGINT")).code, 0);
});

Deno.test("netstring_echo example: netstrings back; a malformed one closes", async () => {
  const server = await start("examples/netstring_echo.ts", [local]);
  const conn = await dial(server.ports[0]);
  await conn.write(encoder.encode("5:hello,0:,12:hello world!,"));
  assert.equal(
    decoder.decode(await readN(conn, 27)),
    "5:hello,0:,12:hello world!,",
  );
  await conn.write(encoder.encode("3:abc!"));
  assert.equal((await readAll(conn)).length, 0);
  conn.close();
  assert.equal((await server.stop()).code, 0);
});

Deno.test("int32_echo example: length-prefixed strings back; an oversized length closes", async () => {
  const server = await start("examples/int32_echo.ts", [local]);
  const conn = await dial(server.ports[0]);
  const frame = new Uint8Array([
    0,
    0,
    0,
    5,
    ...encoder.encode("hello"),
    0,
    0,
    0,
    0,
  ]);
  await conn.write(frame);
  assert.deepEqual(await readN(conn, frame.length), frame);
  await conn.write(new Uint8Array([0, 1, 0x86, 0xa0])); // 100000 > MAX_LENGTH
  assert.equal((await readAll(conn)).length, 0);
  conn.close();
  assert.equal((await server.stop()).code, 0);
});
