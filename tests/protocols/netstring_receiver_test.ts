// NetstringReceiver and its parser; vectors ported from Twisted's
// test_basic.py NetstringReceiverTests, plus the strict-grammar edges.

import assert from "node:assert/strict";
import { NetstringParser } from "../../protocols/_netstring_parser.ts";
import { NetstringParseError } from "../../protocols/netstring_parse_error.ts";
import { NetstringReceiver } from "../../protocols/netstring_receiver.ts";
import { TruncatedFrameError } from "../../protocols/truncated_frame_error.ts";
import { StringTransport } from "../../testing/string_transport.ts";
import { CountingTransport } from "./_counting_transport.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const b = (s: string): Uint8Array => enc.encode(s);

/** Twisted's TestNetstring: records strings (MAX_LENGTH 50, as TestMixin). */
class TestNetstring extends NetstringReceiver {
  override MAX_LENGTH = 50;
  received: string[] = [];
  errors: NetstringParseError[] = [];
  override stringReceived(data: Uint8Array): void {
    this.received.push(dec.decode(data));
  }
  override netstringParseError(error: NetstringParseError): void {
    this.errors.push(error);
    super.netstringParseError(error);
  }
}

function connect(
  proto: NetstringReceiver = new TestNetstring(),
): { proto: TestNetstring; transport: CountingTransport } {
  const transport = new CountingTransport();
  proto.makeConnection(transport);
  return { proto: proto as TestNetstring, transport };
}

function feedBytewise(proto: NetstringReceiver, data: Uint8Array): void {
  for (let i = 0; i < data.length; i++) {
    proto.dataReceived(data.slice(i, i + 1));
  }
}

const strings = [
  "hello",
  "world",
  "how",
  "are",
  "you123",
  ":today",
  "a".repeat(515),
];
const illegalStrings = [
  "9999999999999999999999",
  "abc",
  "4:abcde",
  "51:" + "a".repeat(50) + "b,",
];

Deno.test("NetstringReceiver receives strings in chunks of 1 to 9 bytes", () => {
  for (let size = 1; size < 10; size++) {
    const { proto, transport } = connect();
    proto.MAX_LENGTH = 699;
    for (const s of strings) proto.sendString(s);
    const out = transport.value();
    for (let i = 0; i < out.length; i += size) {
      proto.dataReceived(out.subarray(i, i + size));
    }
    assert.deepEqual(proto.received, strings);
  }
});

Deno.test("NetstringReceiver refuses illegal strings fed byte by byte", () => {
  for (const s of illegalStrings) {
    const { proto, transport } = connect();
    feedBytewise(proto, b(s));
    assert.equal(transport.disconnecting, true, s);
    assert.equal(proto.errors.length, 1, s);
    assert.ok(proto.errors[0] instanceof NetstringParseError);
    assert.equal(proto.errors[0].name, "NetstringParseError");
  }
});

Deno.test("NetstringReceiver receives small and nested netstrings", () => {
  for (
    const [wire, expected] of [
      ["0:,", [""]],
      ["1:a,", ["a"]],
      ["2:ab,", ["ab"]],
      ["4:1:a,,", ["1:a,"]],
      ["12:hello world!,", ["hello world!"]],
      ["0:,0:,3:a:b,", ["", "", "a:b"]],
    ] as const
  ) {
    const { proto, transport } = connect();
    proto.dataReceived(b(wire));
    assert.deepEqual(proto.received, expected, wire);
    assert.equal(transport.disconnecting, false, wire);
  }
});

Deno.test("NetstringReceiver refuses malformed netstrings with a named message", () => {
  for (
    const [wire, message] of [
      ["2:aaa,", "Netstring is missing its comma: got 0x61"],
      ["0:a,", "Netstring is missing its comma: got 0x61"],
      ["3:abc!", "Netstring is missing its comma: got 0x21"],
      [":aaa,", "Netstring is missing its length"],
      ["3aaa,", "Netstring length is not followed by a colon: got 0x61"],
      ["aaa,", "Netstring does not start with a length: got 0x61"],
      ["aaa", "Netstring does not start with a length: got 0x61"],
      ["01:a,", "Netstring length has a leading zero"],
      ["00:,", "Netstring length has a leading zero"],
      ["+1:a,", "Netstring does not start with a length: got 0x2b"],
      ["-1:a,", "Netstring does not start with a length: got 0x2d"],
      [" 1:a,", "Netstring does not start with a length: got 0x20"],
      ["1 :a,", "Netstring length is not followed by a colon: got 0x20"],
      ["1:a ,", "Netstring is missing its comma: got 0x20"],
      ["0x1:a,", "Netstring length is not followed by a colon: got 0x78"],
      ["51:", "Netstring length exceeds MAX_LENGTH: 51 > 50"],
    ] as const
  ) {
    for (const split of [false, true]) {
      const { proto, transport } = connect();
      if (split) feedBytewise(proto, b(wire));
      else proto.dataReceived(b(wire));
      assert.deepEqual(proto.received, [], wire);
      assert.equal(transport.disconnecting, true, wire);
      assert.deepEqual(proto.errors.map((e) => e.message), [message], wire);
    }
  }
});

Deno.test("NetstringReceiver receives netstrings in portions", () => {
  for (
    const parts of [
      ["4:aa", "aa,"],
      ["1", "0:01234", "56789", ","],
      ["2", ":", "a", "b", ","],
    ]
  ) {
    const { proto } = connect();
    for (const part of parts) proto.dataReceived(b(part));
    assert.equal(proto.received.length, 1);
    assert.equal(proto.received[0], parts.join("").replace(/^\d+:|,$/g, ""));
  }
});

Deno.test("NetstringReceiver receives a netstring and the start of the next", () => {
  const { proto } = connect();
  proto.dataReceived(b("1:a,1"));
  assert.deepEqual(proto.received, ["a"]);
  proto.dataReceived(b(":b,"));
  assert.deepEqual(proto.received, ["a", "b"]);
});

Deno.test("NetstringReceiver refuses a length over MAX_LENGTH", () => {
  const { proto, transport } = connect();
  const tooLong = proto.MAX_LENGTH + 1;
  proto.dataReceived(b(`${tooLong}:${"a".repeat(tooLong)},`));
  assert.equal(transport.disconnecting, true);
  assert.deepEqual(proto.received, []);
});

Deno.test("NetstringReceiver: MAX_LENGTH is an inclusive edge (Twisted's consumeLength cases)", () => {
  for (
    const [max, wire, ok] of [
      [12, "12:", true],
      [11, "12:", false],
      [11, "1000:", false],
    ] as const
  ) {
    const { proto, transport } = connect();
    proto.MAX_LENGTH = max;
    proto.dataReceived(b(wire));
    assert.equal(transport.disconnecting, !ok, `${max} ${wire}`);
  }
});

Deno.test("NetstringReceiver: default MAX_LENGTH 99999 accepted, 100000 refused while digits arrive", () => {
  const ok = connect(
    new (class extends TestNetstring {
      override MAX_LENGTH = 99999;
    })(),
  );
  ok.proto.dataReceived(b(`99999:${"x".repeat(99999)},`));
  assert.equal(ok.proto.received.length, 1);
  assert.equal(ok.proto.received[0].length, 99999);
  assert.equal(ok.transport.disconnecting, false);

  const refused = connect(
    new (class extends TestNetstring {
      override MAX_LENGTH = 99999;
    })(),
  );
  feedBytewise(refused.proto, b("10000"));
  assert.equal(refused.transport.disconnecting, false);
  refused.proto.dataReceived(b("0")); // sixth digit, no colon yet
  assert.equal(refused.transport.disconnecting, true);
  assert.equal(
    refused.proto.errors[0].message,
    "Netstring length exceeds MAX_LENGTH: 100000 > 99999",
  );
});

Deno.test("NetstringReceiver refuses a length of 10^12 at its sixth digit, byte by byte", () => {
  const proto = new NetstringReceiver();
  const transport = new StringTransport();
  proto.makeConnection(transport);
  const digits = "1000000000000";
  let fed = 0;
  while (!transport.disconnecting) proto.dataReceived(b(digits[fed++]));
  assert.equal(fed, 6);
});

Deno.test("NetstringReceiver.stringReceived throws unless overridden", () => {
  assert.throws(
    () => new NetstringReceiver().stringReceived(b("foo")),
    /not implemented/,
  );
});

Deno.test("NetstringReceiver stops parsing after an error, even buffered netstrings", () => {
  class Lenient extends TestNetstring {
    override netstringParseError(error: NetstringParseError): void {
      this.errors.push(error); // does not close the connection
    }
  }
  const { proto, transport } = connect(new Lenient());
  proto.dataReceived(b("1:a,1:b!1:c,"));
  assert.deepEqual(proto.received, ["a"]);
  proto.dataReceived(b("1:d,"));
  proto.resumeProducing();
  assert.deepEqual(proto.received, ["a"]);
  assert.equal(proto.errors.length, 1);
  assert.equal(transport.disconnecting, false);
});

Deno.test("NetstringReceiver delivers nothing more once the transport is disconnecting", () => {
  class Quitter extends TestNetstring {
    override stringReceived(data: Uint8Array): void {
      super.stringReceived(data);
      if (dec.decode(data) === "QUIT") this.transport!.loseConnection();
    }
  }
  const { proto } = connect(new Quitter());
  proto.dataReceived(b("1:a,4:QUIT,1:b,"));
  assert.deepEqual(proto.received, ["a", "QUIT"]);
  proto.dataReceived(b("1:c,"));
  assert.deepEqual(proto.received, ["a", "QUIT"]);
  assert.deepEqual(proto.errors, []);
});

Deno.test("NetstringReceiver pauses, resumes and stops delivery and the transport", () => {
  class Pausing extends TestNetstring {
    override stringReceived(data: Uint8Array): void {
      super.stringReceived(data);
      this.pauseProducing();
    }
  }
  const { proto, transport } = connect(new Pausing());
  proto.dataReceived(b("1:a,1:b,1:c"));
  assert.deepEqual(proto.received, ["a"]);
  assert.equal(transport.producerState, "paused");
  proto.resumeProducing();
  assert.deepEqual(proto.received, ["a", "b"]);
  proto.dataReceived(b(",")); // arrives while paused: held
  assert.deepEqual(proto.received, ["a", "b"]);
  proto.resumeProducing();
  assert.deepEqual(proto.received, ["a", "b", "c"]);
  proto.resumeProducing();
  assert.equal(transport.producerState, "producing");
  proto.stopProducing();
  assert.equal(transport.producerState, "stopped");
  proto.dataReceived(b("1:d,"));
  assert.deepEqual(proto.received, ["a", "b", "c"]);
});

Deno.test("NetstringReceiver keeps order when stringReceived re-enters dataReceived", () => {
  class Reentrant extends TestNetstring {
    override stringReceived(data: Uint8Array): void {
      super.stringReceived(data);
      if (dec.decode(data) === "a") this.dataReceived(b("1:c,"));
    }
  }
  const { proto } = connect(new Reentrant());
  proto.dataReceived(b("1:a,1:b,"));
  assert.deepEqual(proto.received, ["a", "b", "c"]);
});

Deno.test("NetstringReceiver hands out views of the received chunk", () => {
  const views: Uint8Array[] = [];
  const proto = new (class extends NetstringReceiver {
    override stringReceived(data: Uint8Array): void {
      views.push(data);
    }
  })();
  proto.makeConnection(new StringTransport());
  const chunk = b("5:hello,3:abc,");
  proto.dataReceived(chunk);
  assert.equal(views.length, 2);
  assert.equal(views[0].buffer, chunk.buffer);
  assert.equal(views[0].byteOffset, 2);
  assert.equal(dec.decode(views[1]), "abc");
});

Deno.test("NetstringReceiver.sendString frames bytes and UTF-8 text in one write", () => {
  const { proto, transport } = connect();
  proto.sendString("hello world!");
  assert.equal(transport.valueText(), "12:hello world!,");
  assert.equal(transport.writes, 1);
  transport.clear();
  proto.sendString(new Uint8Array(0));
  proto.sendString("é");
  assert.equal(transport.valueText(), "0:,2:é,");
  assert.throws(
    () => proto.sendString(42 as unknown as string),
    TypeError,
  );
  assert.throws(() => new NetstringReceiver().sendString("x"), /not connected/);
});

Deno.test("NetstringParser: strict grammar, views, bufferedLength and end()", () => {
  const parser = new NetstringParser(10);
  parser.push(b("3:ab"));
  assert.equal(parser.next(), undefined);
  assert.equal(parser.bufferedLength, 2);
  assert.equal(parser.pendingLength, 4);
  assert.throws(() => parser.end(), TruncatedFrameError);
  parser.push(b("c,1"));
  assert.equal(dec.decode(parser.next()!), "abc");
  assert.equal(parser.next(), undefined);
  assert.equal(parser.bufferedLength, 0); // digits are consumed as parsed
  assert.equal(parser.pendingLength, 1);
  parser.push(b("1:"));
  assert.throws(
    () => parser.next(),
    new NetstringParseError("Netstring length exceeds MAX_LENGTH: 11 > 10"),
  );
  // Failed for good: the same error again, pushed bytes dropped.
  parser.push(b("0:,"));
  assert.equal(parser.bufferedLength, 0);
  assert.throws(() => parser.next(), /exceeds MAX_LENGTH: 11 > 10/);
  assert.throws(() => parser.end(), NetstringParseError);
  assert.ok(parser.error instanceof NetstringParseError);
  assert.throws(() => new NetstringParser(-1), RangeError);
  assert.throws(() => new NetstringParser(1.5), RangeError);
  const clean = new NetstringParser();
  clean.push(b("0:,"));
  assert.deepEqual(clean.next(), new Uint8Array(0));
  clean.end();
});

Deno.test("NetstringReceiver: a hook that throws mid-chunk leaves the rest of the chunk queued, in order", () => {
  class Fragile extends TestNetstring {
    override stringReceived(data: Uint8Array): void {
      super.stringReceived(data);
      if (dec.decode(data) === "boom") throw new Error("boom");
    }
  }
  const { proto } = connect(new Fragile());
  assert.throws(() => proto.dataReceived(b("4:boom,1:b,2:c")), /boom/);
  assert.deepEqual(proto.received, ["boom"]);
  proto.dataReceived(b("d,"));
  assert.deepEqual(proto.received, ["boom", "b", "cd"]);
});

Deno.test("NetstringReceiver: whole netstrings then a malformed one in one chunk: the whole ones, then the error", () => {
  const { proto, transport } = connect(new TestNetstring());
  proto.dataReceived(b("0:,3:abc,05:hello,1:z,"));
  assert.deepEqual(proto.received, ["", "abc"]);
  assert.deepEqual(proto.errors.map((e) => e.message), [
    "Netstring length has a leading zero",
  ]);
  assert.equal(transport.disconnecting, true);
});
