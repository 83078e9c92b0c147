// LineOnlyReceiver (vectors from Twisted's LineOnlyReceiverTests), and the
// MAX_LENGTH edge, which LineReceiver and LineOnlyReceiver must share
// (Twisted's two receivers disagree on it): Twisted's maximum line length and
// LineReceiverLineLengthExceededTests vectors, then every chunking of the
// edge cases for delimiters of 1, 2 and 3 bytes.

import assert from "node:assert/strict";
import { LineOnlyReceiver } from "../../protocols/line_only_receiver.ts";
import { LineReceiver } from "../../protocols/line_receiver.ts";
import { StringTransport } from "../../testing/string_transport.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const b = (text: string): Uint8Array => enc.encode(text);
const s = (bytes: Uint8Array): string => dec.decode(bytes);

class RecordingLine extends LineReceiver {
  lines: string[] = [];
  exceeded: string[] = [];
  override lineReceived(line: string): void {
    this.lines.push(line);
  }
  override lineLengthExceeded(buffer: Uint8Array): void {
    this.exceeded.push(s(buffer));
    super.lineLengthExceeded(buffer);
  }
}

class RecordingLineOnly extends LineOnlyReceiver {
  lines: string[] = [];
  exceeded: string[] = [];
  override lineReceived(line: string): void {
    this.lines.push(line);
  }
  override lineLengthExceeded(buffer: Uint8Array): void {
    this.exceeded.push(s(buffer));
    super.lineLengthExceeded(buffer);
  }
}

type Recording = (RecordingLine | RecordingLineOnly) & {
  transport: StringTransport;
};
type RecordingClass = typeof RecordingLine | typeof RecordingLineOnly;

/** A receiver of either class that records lines and long lines, then closes. */
function recording(
  Class: RecordingClass,
  delimiter: string,
  maxLength: number,
): Recording {
  const proto = new Class();
  proto.delimiter = delimiter;
  proto.MAX_LENGTH = maxLength;
  proto.makeConnection(new StringTransport());
  return proto as Recording;
}

function feed(proto: Recording, data: Uint8Array, size: number): void {
  for (let i = 0; i < data.length; i += size) {
    proto.dataReceived(data.subarray(i, i + size));
  }
}

/** End of the packet (of `size` bytes) that holds byte `index` of `data`. */
function packetEnd(data: Uint8Array, index: number, size: number): number {
  return Math.min(data.length, (Math.floor(index / size) + 1) * size);
}

Deno.test("LineOnlyReceiver: Twisted's buffer, one byte at a time", () => {
  const buffer = "foo\n    bleakness\n    desolation\n    plastic forks\n    ";
  const proto = recording(RecordingLineOnly, "\n", 64);
  feed(proto, b(buffer), 1);
  assert.deepEqual(proto.lines, buffer.split("\n").slice(0, -1));
});

Deno.test("LineOnlyReceiver: a line over MAX_LENGTH closes the connection", () => {
  const proto = new LineOnlyReceiver();
  const transport = new StringTransport();
  proto.makeConnection(transport);
  proto.dataReceived(b("x".repeat(proto.MAX_LENGTH + 3) + "\r\nr"));
  assert.equal(transport.disconnecting, true);
});

Deno.test("LineOnlyReceiver: lineReceived not overridden throws", () => {
  assert.throws(
    () => new LineOnlyReceiver().lineReceived("foo"),
    /not implemented/,
  );
});

Deno.test("LineOnlyReceiver: sendLine, clearLineBuffer, pause", () => {
  const proto = recording(RecordingLineOnly, "\r\n", 100);
  proto.sendLine("a");
  proto.sendLine(b("b"));
  assert.equal(proto.transport.valueText(), "a\r\nb\r\n");
  proto.pauseProducing();
  proto.dataReceived(b("one\r\ntwo\r\nthr"));
  assert.deepEqual(proto.lines, []);
  assert.equal(proto.transport.producerState, "paused");
  proto.resumeProducing();
  assert.deepEqual(proto.lines, ["one", "two"]);
  assert.equal(s(proto.clearLineBuffer()), "thr");
  proto.dataReceived(b("ee\r\n"));
  assert.deepEqual(proto.lines, ["one", "two", "ee"]);
  proto.stopProducing();
  assert.equal(proto.transport.producerState, "stopped");
});

Deno.test("LineReceiver: a line over MAX_LENGTH closes the connection by default", () => {
  const proto = new LineReceiver();
  const transport = new StringTransport();
  proto.makeConnection(transport);
  proto.dataReceived(b("x".repeat(proto.MAX_LENGTH + 1) + "\r\nr"));
  assert.equal(transport.disconnecting, true);
});

Deno.test("LineReceiver: MAX_LENGTH bytes and a partial delimiter wait", () => {
  const proto = new LineReceiver();
  const transport = new StringTransport();
  proto.makeConnection(transport);
  proto.dataReceived(b("x".repeat(proto.MAX_LENGTH) + "\r"));
  assert.equal(transport.disconnecting, false);
});

Deno.test("LineReceiver: an unfinished line past the limit closes", () => {
  const proto = new LineReceiver();
  const transport = new StringTransport();
  proto.makeConnection(transport);
  proto.dataReceived(b("x".repeat(proto.MAX_LENGTH + 2)));
  assert.equal(transport.disconnecting, true);
});

/** Twisted's ExcessivelyLargeLineCatcher with MAX_LENGTH 6. */
class Catcher extends LineReceiver {
  override MAX_LENGTH = 6;
  lines: string[] = [];
  longLines: string[] = [];
  override lineReceived(line: string): void {
    this.lines.push(line);
  }
  override lineLengthExceeded(data: Uint8Array): void {
    this.longLines.push(s(data));
  }
}

function catcher(): Catcher {
  const proto = new Catcher();
  proto.makeConnection(new StringTransport());
  return proto;
}

Deno.test("LineReceiver.lineLengthExceeded: Twisted's argument vectors", () => {
  const excessive = "x".repeat(6 * 2 + 2);
  let proto = catcher();
  proto.dataReceived(b(excessive));
  assert.deepEqual(proto.longLines, [excessive]);

  proto = catcher();
  proto.dataReceived(b("x\r\n" + excessive));
  assert.deepEqual(proto.longLines, [excessive]);
  assert.deepEqual(proto.lines, ["x"]);

  proto = catcher();
  const withDelimiter = [excessive, excessive].join("\r\n");
  proto.dataReceived(b(withDelimiter));
  assert.deepEqual(proto.longLines, [withDelimiter]);

  proto = catcher();
  const multiple = (excessive + "\r\n").repeat(2);
  proto.dataReceived(b(multiple));
  assert.deepEqual(proto.longLines, [multiple]);
  assert.deepEqual(proto.lines, []);
});

Deno.test("LineReceiver.lineLengthExceeded: parsing goes on after it", () => {
  const proto = catcher();
  proto.dataReceived(b("1234567"));
  assert.deepEqual(proto.longLines, ["1234567"]);
  proto.dataReceived(b("ok\r\n"));
  assert.deepEqual(proto.lines, ["ok"]);
});

Deno.test("discardLongLineRest: the rest of a refused line is dropped up to its delimiter, once", () => {
  for (let size = 1; size <= 12; size++) {
    for (
      const Base of [
        LineReceiver,
        LineOnlyReceiver,
      ] as (typeof LineOnlyReceiver)[]
    ) {
      const proto = new (class extends Base {
        override MAX_LENGTH = 6;
        override discardLongLineRest = true;
        lines: string[] = [];
        refused: string[] = [];
        override lineReceived(line: string): void {
          this.lines.push(line);
        }
        override lineLengthExceeded(data: Uint8Array): void {
          this.refused.push(s(data));
        }
      })();
      proto.makeConnection(new StringTransport());
      const wire = b(
        "ok\r\n" + "x".repeat(40) + "\r\nafter\r\n" + "z".repeat(9) +
          "\r\n\r\n" + "y".repeat(7),
      );
      for (let i = 0; i < wire.length; i += size) {
        proto.dataReceived(wire.slice(i, i + size));
      }
      proto.dataReceived(b("yy\r\nlast\r\n"));
      assert.deepEqual(
        proto.lines,
        ["ok", "after", "", "last"],
        `size ${size}`,
      );
      assert.equal(proto.refused.length, 3, `size ${size}`);
      assert.ok(proto.refused.every((r) => /^[xyz]+/.test(r)));
    }
  }
});

Deno.test("discardLongLineRest: a refused complete line drops nothing after it; setLineMode(extra) takes over", () => {
  const proto = new (class extends LineReceiver {
    override MAX_LENGTH = 4;
    override discardLongLineRest = true;
    lines: string[] = [];
    override lineReceived(line: string): void {
      this.lines.push(line);
    }
    override lineLengthExceeded(data: Uint8Array): void {
      // Hand back what followed the long line: it is parsed, not skipped.
      const end = data.indexOf(10);
      this.setLineMode(end === -1 ? new Uint8Array() : data.subarray(end + 1));
    }
  })();
  proto.delimiter = "\n";
  proto.makeConnection(new StringTransport());
  proto.dataReceived(b("toolong\nnext\n"));
  assert.deepEqual(proto.lines, ["next"]);
  proto.dataReceived(b("waytoolong"));
  proto.dataReceived(b("tail\nyes\n"));
  assert.deepEqual(proto.lines, ["next", "tail", "yes"]);
});

const MAX = 8;
const classes = [RecordingLine, RecordingLineOnly];
const delimiters = ["\n", "\r\n", "<|>"];

function* cases(): Generator<[RecordingClass, string, number]> {
  for (const Base of classes) {
    for (const delimiter of delimiters) {
      for (let size = 1; size <= MAX + 2 * delimiter.length + 3; size++) {
        yield [Base, delimiter, size];
      }
    }
  }
}

Deno.test("MAX_LENGTH edge: a line of exactly MAX_LENGTH bytes is accepted", () => {
  for (const [Base, d, size] of cases()) {
    const proto = recording(Base, d, MAX);
    feed(proto, b("x".repeat(MAX) + d + "y" + d), size);
    assert.deepEqual(
      proto.lines,
      ["x".repeat(MAX), "y"],
      `${Base.name} ${d} ${size}`,
    );
    assert.deepEqual(proto.exceeded, []);
  }
});

Deno.test("MAX_LENGTH edge: one byte more is refused at once, with every byte buffered", () => {
  for (const [Base, d, size] of cases()) {
    const proto = recording(Base, d, MAX);
    const data = b("x".repeat(MAX + 1) + d + "tail" + d);
    feed(proto, data, size);
    const end = packetEnd(data, MAX, size);
    assert.deepEqual(
      proto.exceeded,
      [s(data.subarray(0, end))],
      `${Base.name} ${d} ${size}`,
    );
    assert.deepEqual(proto.lines, []);
    assert.equal(proto.transport.disconnecting, true);
  }
});

Deno.test("MAX_LENGTH edge: MAX_LENGTH bytes and a partial delimiter wait", () => {
  for (const [Base, d, size] of cases()) {
    const proto = recording(Base, d, MAX);
    feed(proto, b("x".repeat(MAX) + d.slice(0, -1)), size);
    assert.deepEqual(proto.exceeded, [], `${Base.name} ${d} ${size}`);
    assert.equal(proto.transport.disconnecting, false);
    proto.dataReceived(b(d.slice(-1)));
    assert.deepEqual(proto.lines, ["x".repeat(MAX)]);
  }
});

Deno.test("MAX_LENGTH edge: past MAX_LENGTH + delimiter.length - 1 bytes is always refused", () => {
  for (const [Base, d, size] of cases()) {
    const proto = recording(Base, d, MAX);
    const data = b("x".repeat(MAX) + d.slice(0, -1) + "z" + d);
    feed(proto, data, size);
    const end = packetEnd(data, MAX + d.length - 1, size);
    assert.deepEqual(
      proto.exceeded,
      [s(data.subarray(0, end))],
      `${Base.name} ${d} ${size}`,
    );
    assert.deepEqual(proto.lines, []);
  }
});

Deno.test("MAX_LENGTH edge: a long unterminated line after a short one", () => {
  for (const [Base, d, size] of cases()) {
    const proto = recording(Base, d, MAX);
    const head = "short" + d;
    const data = b(head + "x".repeat(3 * MAX));
    feed(proto, data, size);
    assert.deepEqual(proto.lines, ["short"], `${Base.name} ${d} ${size}`);
    const start = b(head).length;
    const end = packetEnd(data, start + MAX, size);
    assert.deepEqual(proto.exceeded, [s(data.subarray(start, end))]);
  }
});

Deno.test("MAX_LENGTH edge: a long line with its delimiter, followed by more, in one chunk", () => {
  for (const Base of classes) {
    for (const d of delimiters) {
      const proto = recording(Base, d, MAX);
      const data = "ok" + d + "x".repeat(MAX + 1) + d + "more" + d + "par";
      proto.dataReceived(b(data));
      assert.deepEqual(proto.lines, ["ok"]);
      assert.deepEqual(proto.exceeded, [data.slice(2 + d.length)]);
    }
  }
});
