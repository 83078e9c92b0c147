// Data that is neither bytes nor a string, written to any transport or
// through any policy: a named TypeError, and nothing of a sequence holding
// it is written (the good chunks before it included).

import assert from "node:assert/strict";
import { ConnTransport, Protocol, type Transport } from "../../../mod.ts";
import { Clock, connectedPair, StringTransport } from "../../../testing/mod.ts";
import { FakeConn, settle } from "../../endpoints/_fakes.ts";
import { ADDR, b, policies } from "./_policies.ts";
import { Factory } from "../../../mod.ts";

const BAD: unknown[] = [42, null, undefined, [1, 2], new ArrayBuffer(2), {}];

const isBadData = (error: unknown): boolean =>
  error instanceof TypeError &&
  /^Data must be a Uint8Array or a string: /.test(error.message);

/** Write bad data every way, then good data; returns nothing: asserts. */
function writeBadThenGood(transport: Transport): void {
  for (const bad of BAD) {
    assert.throws(() => transport.write(bad as string), isBadData);
    assert.throws(
      () => transport.writeSequence([b("lost"), bad as string, "lost"]),
      isBadData,
    );
  }
  transport.writeSequence(["o", b("k")]);
}

Deno.test("bad data: StringTransport and connectedPair throw a TypeError and write none of the sequence", () => {
  const recorded = new StringTransport();
  writeBadThenGood(recorded);
  assert.equal(recorded.valueText(), "ok");

  class Keep extends Protocol {
    text = "";
    override dataReceived(data: Uint8Array): void {
      this.text += new TextDecoder().decode(data);
    }
  }
  const pair = connectedPair(new Protocol(), new Keep());
  writeBadThenGood(pair.server.transport!);
  pair.flush();
  assert.equal(pair.client.text, "ok");
});

Deno.test("bad data: ConnTransport throws a TypeError and writes none of the sequence", async () => {
  const conn = new FakeConn();
  const transport = new ConnTransport(conn, new Protocol(), {
    clock: new Clock(),
  });
  transport.start();
  writeBadThenGood(transport);
  await settle();
  assert.equal(
    new TextDecoder().decode(
      Uint8Array.from(conn.written.flatMap((c) => [...c])),
    ),
    "ok",
  );
  transport.abortConnection();
});

Deno.test("bad data: through every policy, a TypeError and none of the sequence", () => {
  for (const [name, wrap] of policies()) {
    const transport = new StringTransport();
    let inner: Protocol | null = null;
    class Inner extends Protocol {
      override connectionMade(): void {
        inner = this;
      }
    }
    const proto = wrap(Factory.forProtocol(Inner)).buildProtocol(ADDR)!;
    proto.makeConnection(transport);
    const wrapper = (inner as Protocol | null)?.transport;
    assert.ok(
      wrapper && wrapper !== transport,
      `${name}: a wrapper in between`,
    );
    try {
      writeBadThenGood(wrapper);
    } catch (error) {
      throw new Error(`${name}: ${error}`, { cause: error });
    }
    assert.equal(transport.valueText(), "ok", name);
  }
});
