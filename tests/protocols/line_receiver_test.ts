// LineReceiver; vectors ported from Twisted's test_basic.py (LineTester,
// LineReceiverTests, LineReceiverLineLengthExceededTests, ProducerTests).

import assert from "node:assert/strict";
import { LineReceiver } from "../../protocols/line_receiver.ts";
import type { Protocol } from "../../protocols/protocol.ts";
import { Clock } from "../../testing/clock.ts";
import { StringTransport } from "../../testing/string_transport.ts";
import { CountingTransport } from "./_counting_transport.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const b = (text: string): Uint8Array => enc.encode(text);
const s = (bytes: Uint8Array): string => dec.decode(bytes);

function feed(proto: Protocol, data: Uint8Array, size: number): void {
  for (let i = 0; i < data.length; i += size) {
    proto.dataReceived(data.subarray(i, i + size));
  }
}

/** Twisted's LineTester: actions on some lines, raw mode after "len N". */
class LineTester extends LineReceiver {
  override delimiter = "\n";
  override MAX_LENGTH = 64;
  received: string[] = [];
  length = 0;
  constructor(readonly clock: Clock | null = null) {
    super();
  }
  override lineReceived(line: string): void {
    this.received.push(line);
    if (line === "") this.setRawMode();
    else if (line === "pause") {
      this.pauseProducing();
      this.clock!.callLater(0, () => this.resumeProducing());
    } else if (line === "rawpause") {
      this.pauseProducing();
      this.setRawMode();
      this.received.push("");
      this.clock!.callLater(0, () => this.resumeProducing());
    } else if (line === "stop") this.stopProducing();
    else if (line.startsWith("len ")) this.length = Number(line.slice(4));
    else if (line.startsWith("produce")) {
      this.transport!.registerProducer(this, false);
    } else if (line.startsWith("unproduce")) {
      this.transport!.unregisterProducer();
    }
  }
  override rawDataReceived(data: Uint8Array): void {
    const rest = data.subarray(this.length);
    data = data.subarray(0, this.length);
    this.length -= data.length;
    this.received[this.received.length - 1] += s(data);
    if (this.length === 0) this.setLineMode(rest);
  }
  override lineLengthExceeded(line: Uint8Array): void {
    if (line.length > this.MAX_LENGTH + 1) {
      this.setLineMode(line.subarray(this.MAX_LENGTH + 1));
    }
  }
}

function tester(clock: Clock | null = null): LineTester {
  const proto = new LineTester(clock);
  proto.makeConnection(new StringTransport());
  return proto;
}

const buffer = b(`len 10

0123456789len 5

1234
len 20
foo 123

0123456789
012345678len 0
foo 5

${"1234567890".repeat(7)}
len 1

a`);

Deno.test("LineReceiver: Twisted's buffer script for every packet size 1-9", () => {
  for (let size = 1; size < 10; size++) {
    const proto = tester();
    feed(proto, buffer, size);
    assert.deepEqual(proto.received, [
      "len 10",
      "0123456789",
      "len 5",
      "1234\n",
      "len 20",
      "foo 123",
      "0123456789\n012345678",
      "len 0",
      "foo 5",
      "",
      "67890",
      "len 1",
      "a",
    ], `packet size ${size}`);
  }
});

Deno.test("LineReceiver: pausing holds lines already buffered", () => {
  for (let size = 1; size < 10; size++) {
    const clock = new Clock();
    const proto = tester(clock);
    feed(proto, b("twiddle1\ntwiddle2\npause\ntwiddle3\n"), size);
    assert.deepEqual(proto.received, ["twiddle1", "twiddle2", "pause"]);
    assert.equal((proto.transport as StringTransport).producerState, "paused");
    clock.advance(0);
    assert.deepEqual(proto.received, [
      "twiddle1",
      "twiddle2",
      "pause",
      "twiddle3",
    ]);
    assert.equal(
      (proto.transport as StringTransport).producerState,
      "producing",
    );
  }
});

Deno.test("LineReceiver: pausing in raw mode", () => {
  for (let size = 1; size < 10; size++) {
    const clock = new Clock();
    const proto = tester(clock);
    feed(
      proto,
      b("twiddle1\ntwiddle2\nlen 5\nrawpause\n12345twiddle3\n"),
      size,
    );
    assert.deepEqual(proto.received, [
      "twiddle1",
      "twiddle2",
      "len 5",
      "rawpause",
      "",
    ]);
    clock.advance(0);
    assert.deepEqual(proto.received, [
      "twiddle1",
      "twiddle2",
      "len 5",
      "rawpause",
      "12345",
      "twiddle3",
    ]);
  }
});

Deno.test("LineReceiver: stopProducing stops delivery and reading", () => {
  for (let size = 1; size < 10; size++) {
    const proto = tester();
    feed(proto, b("twiddle1\ntwiddle2\nstop\nmore\nstuff\n"), size);
    assert.deepEqual(proto.received, ["twiddle1", "twiddle2", "stop"]);
    assert.equal((proto.transport as StringTransport).producerState, "stopped");
  }
});

Deno.test("LineReceiver: as a producer of its own transport", () => {
  const proto = tester();
  proto.dataReceived(b("produce\nhello world\nunproduce\ngoodbye\n"));
  assert.deepEqual(proto.received, [
    "produce",
    "hello world",
    "unproduce",
    "goodbye",
  ]);
});

Deno.test("LineReceiver: clearLineBuffer from lineReceived", () => {
  class Clearing extends LineReceiver {
    line = "";
    rest: Uint8Array = new Uint8Array();
    override lineReceived(line: string): void {
      this.line = line;
      this.rest = this.clearLineBuffer();
    }
  }
  const proto = new Clearing();
  proto.dataReceived(b("foo\r\nbar\r\nbaz"));
  assert.equal(proto.line, "foo");
  assert.equal(s(proto.rest), "bar\r\nbaz");
  proto.dataReceived(b("quux\r\n"));
  assert.equal(proto.line, "quux");
  assert.equal(s(proto.rest), "");
  proto.dataReceived(b("partial"));
  assert.equal(s(proto.clearLineBuffer()), "partial");
  assert.equal(proto.clearLineBuffer().length, 0);
});

Deno.test("LineReceiver: switching modes many times in one chunk does not recurse", () => {
  class Flipping extends LineReceiver {
    override delimiter = "\n";
    lines: string[] = [];
    override lineReceived(line: string): void {
      this.lines.push(line);
      this.setRawMode();
    }
    override rawDataReceived(data: Uint8Array): void {
      this.setLineMode(data.subarray(1));
    }
  }
  const proto = new Flipping();
  proto.makeConnection(new StringTransport());
  proto.dataReceived(b("x\nx".repeat(100_000)));
  assert.equal(proto.lines.join(""), "x".repeat(100_000));
});

Deno.test("LineReceiver: a partial delimiter across packets (Twisted)", () => {
  const proto = tester();
  proto.MAX_LENGTH = 4;
  const line = "x".repeat(3);
  proto.dataReceived(b(line));
  proto.dataReceived(b(""));
  proto.dataReceived(b("\n" + line));
  assert.equal(proto.transport!.disconnecting, false);
  assert.deepEqual(proto.received, [line]);
});

Deno.test("LineReceiver: hooks not overridden throw", () => {
  const proto = new LineReceiver();
  assert.throws(() => proto.lineReceived("foo"), /not implemented/);
  assert.throws(() => proto.rawDataReceived(b("foo")), /not implemented/);
  const transport = new StringTransport();
  proto.makeConnection(transport);
  proto.setRawMode();
  assert.throws(() => proto.dataReceived(b("data")), /rawDataReceived/);
});

Deno.test("LineReceiver: readConnectionLost is left undefined", () => {
  const proto = new LineReceiver();
  assert.equal(proto.readConnectionLost, undefined);
  assert.equal("readConnectionLost" in LineReceiver.prototype, false);
});

Deno.test("LineReceiver: a line within a chunk that calls loseConnection ends delivery", () => {
  const lines: string[] = [];
  class Quitter extends LineReceiver {
    override lineReceived(line: string): void {
      lines.push(line);
      if (line === "QUIT") this.transport!.loseConnection();
    }
  }
  const proto = new Quitter();
  proto.makeConnection(new StringTransport());
  proto.dataReceived(b("a\r\nQUIT\r\nb\r\nc"));
  proto.dataReceived(b("\r\nd\r\n"));
  assert.deepEqual(lines, ["a", "QUIT"]);
});

Deno.test("LineReceiver: setRawMode inside lineReceived hands the rest of the chunk over", () => {
  const events: string[] = [];
  class Http extends LineReceiver {
    override lineReceived(line: string): void {
      events.push(`line ${line}`);
      if (line === "") this.setRawMode();
    }
    override rawDataReceived(data: Uint8Array): void {
      events.push(`raw ${s(data)}`);
      const at = data.indexOf(0x21); // "!" ends the body
      if (at !== -1) this.setLineMode(data.subarray(at + 1));
    }
  }
  const proto = new Http();
  proto.makeConnection(new StringTransport());
  proto.dataReceived(b("GET\r\n\r\nbody"));
  proto.dataReceived(b("more!next\r\nlast"));
  proto.dataReceived(b("\r\n"));
  assert.deepEqual(events, [
    "line GET",
    "line ",
    "raw body",
    "raw more!next\r\nlast",
    "line next",
    "line last",
  ]);
});

Deno.test("LineReceiver: delimiter and MAX_LENGTH may change mid-stream", () => {
  const lines: string[] = [];
  const longLines: string[] = [];
  class Switching extends LineReceiver {
    override lineReceived(line: string): void {
      lines.push(line);
      if (line === "LF") this.delimiter = "\n";
      if (line === "BYTES") this.delimiter = b("--");
      if (line === "SHORT") this.MAX_LENGTH = 3;
    }
    override lineLengthExceeded(buffer: Uint8Array): void {
      longLines.push(s(buffer));
    }
  }
  const proto = new Switching();
  proto.makeConnection(new StringTransport());
  proto.dataReceived(b("a\r\nLF\r\nb\nc\r\nBYTES\nd-"));
  proto.dataReceived(b("-SHORT--abc--abcd"));
  assert.deepEqual(lines, [
    "a",
    "LF",
    "b",
    "c\r",
    "BYTES",
    "d",
    "SHORT",
    "abc",
  ]);
  assert.deepEqual(longLines, ["abcd"]);
});

Deno.test("LineReceiver: pause and resume, as Twisted's ProducerTests", () => {
  class Consuming extends LineReceiver {
    override lineReceived(line: string): void {
      this.transport!.write(line + "|");
      this.pauseProducing();
    }
  }
  const proto = new Consuming();
  const t = new StringTransport();
  proto.makeConnection(t);
  const state = () => [t.valueText(), t.producerState, proto.paused];
  proto.dataReceived(b("hello, "));
  assert.deepEqual(state(), ["", "producing", false]);
  proto.dataReceived(b("world\r\n"));
  assert.deepEqual(state(), ["hello, world|", "paused", true]);
  proto.resumeProducing();
  assert.deepEqual(state(), ["hello, world|", "producing", false]);
  proto.dataReceived(b("hello\r\nworld\r\n"));
  assert.deepEqual(state(), ["hello, world|hello|", "paused", true]);
  proto.resumeProducing();
  assert.deepEqual(state(), ["hello, world|hello|world|", "paused", true]);
  proto.dataReceived(b("goodbye\r\n"));
  assert.deepEqual(state(), ["hello, world|hello|world|", "paused", true]);
  proto.resumeProducing();
  assert.deepEqual(state(), [
    "hello, world|hello|world|goodbye|",
    "paused",
    true,
  ]);
  proto.resumeProducing();
  assert.deepEqual(state(), [
    "hello, world|hello|world|goodbye|",
    "producing",
    false,
  ]);
});

Deno.test("LineReceiver.sendLine: one transport call for line and delimiter", () => {
  const proto = new LineReceiver();
  const t = new CountingTransport();
  proto.makeConnection(t);
  proto.sendLine("héllo");
  proto.sendLine(b("bytes"));
  proto.delimiter = b("\n");
  proto.sendLine("x");
  proto.sendLine(new Uint8Array([0xff]));
  assert.equal(t.writes, 4);
  assert.deepEqual(
    t.value(),
    new Uint8Array([...b("héllo\r\nbytes\r\nx\n"), 0xff, 10]),
  );
  assert.throws(() => new LineReceiver().sendLine("x"), /not connected/);
});

Deno.test("LineReceiver.sendLine: string delimiters, changed between lines, each sent as set", () => {
  const proto = new LineReceiver();
  const t = new StringTransport();
  proto.makeConnection(t);
  proto.delimiter = "\n";
  proto.sendLine(b("a"));
  proto.delimiter = "||";
  proto.sendLine(b("b"));
  proto.sendLine("c"); // a string line and a string delimiter: one string
  proto.delimiter = "\r\n";
  proto.sendLine(b("d"));
  assert.equal(t.valueText(), "a\nb||c||d\r\n");
  assert.throws(
    () => proto.sendLine(42 as unknown as string),
    /Line must be a Uint8Array or a string: number/,
  );
});

Deno.test("LineReceiver: lines are decoded as lossy UTF-8, a BOM kept", () => {
  const lines: string[] = [];
  class Text extends LineReceiver {
    override lineReceived(line: string): void {
      lines.push(line);
    }
  }
  const proto = new Text();
  proto.makeConnection(new StringTransport());
  proto.dataReceived(
    new Uint8Array([0xef, 0xbb, 0xbf, 0x61, 13, 10, 0xff, 0xc3]),
  );
  proto.dataReceived(new Uint8Array([0xa9, 13, 10]));
  assert.deepEqual(lines, ["\ufeffa", "\ufffd\u00e9"]);
});

Deno.test("LineReceiver: lineBytesReceived gets views, never written into", () => {
  const got: Uint8Array[] = [];
  class Bytes extends LineReceiver {
    override lineBytesReceived(line: Uint8Array): void {
      got.push(line);
    }
  }
  const proto = new Bytes();
  proto.makeConnection(new StringTransport());
  const chunk = b("ab\r\ncd\r\ne");
  proto.dataReceived(chunk);
  proto.dataReceived(b("f\r\n"));
  assert.deepEqual(got.map(s), ["ab", "cd", "ef"]);
  assert.equal(got[0].buffer, chunk.buffer);
  assert.equal(s(chunk), "ab\r\ncd\r\ne");
});
