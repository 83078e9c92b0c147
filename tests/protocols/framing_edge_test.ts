// Edges of the framing parsers that the main suites do not reach: a
// delimiter whose prefix repeats (the KMP fallback of LineParser) against
// MAX_LENGTH, chunks fed while the caller is not pulling, the parsers' limit
// accessors and their state after an error, and non-byte payloads refused by
// the send methods.

import assert from "node:assert/strict";
import { IntNParser } from "../../protocols/_int_n_parser.ts";
import { LineParser } from "../../protocols/_line_parser.ts";
import { NetstringParser } from "../../protocols/_netstring_parser.ts";
import { Int8StringReceiver } from "../../protocols/int_n_string_receiver.ts";
import { LengthLimitExceededError } from "../../protocols/length_limit_exceeded_error.ts";
import { LineOnlyReceiver } from "../../protocols/line_only_receiver.ts";
import { LineReceiver } from "../../protocols/line_receiver.ts";
import { LineTooLongError } from "../../protocols/line_too_long_error.ts";
import { NetstringParseError } from "../../protocols/netstring_parse_error.ts";
import { NetstringReceiver } from "../../protocols/netstring_receiver.ts";
import { StringTransport } from "../../testing/string_transport.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const b = (text: string): Uint8Array => enc.encode(text);
const s = (bytes: Uint8Array): string => dec.decode(bytes);

class Lines extends LineReceiver {
  lines: string[] = [];
  exceeded: string[] = [];
  override lineReceived(line: string): void {
    this.lines.push(line);
  }
  override lineLengthExceeded(buffer: Uint8Array): void {
    this.exceeded.push(s(buffer));
  }
}

function lines(delimiter: string, max: number): Lines {
  const proto = new Lines();
  proto.delimiter = delimiter;
  proto.MAX_LENGTH = max;
  proto.makeConnection(new StringTransport());
  return proto;
}

// Delimiter "aab": after "xaa" the parser holds a partial delimiter of two
// bytes; the next "a" breaks that match, and the KMP fallback keeps "aa" as
// the new partial delimiter, one byte further on.

Deno.test("LineParser: a delimiter completed after a KMP fallback still counts the line against maxLength", () => {
  // "xaa" + "ab": the delimiter is the last three bytes, so the line is "xa",
  // two bytes, one more than allowed (the first guess, "x", was one byte).
  const parser = new LineParser(b("aab"), 1);
  parser.feed(b("xaa"));
  assert.equal(parser.next(), null);
  parser.feed(b("ab"));
  const error = parser.next();
  assert.ok(error instanceof LineTooLongError);
  assert.equal(error.length, 2);
  assert.equal(error.maxLength, 1);
  // Nothing was consumed: the caller takes the bytes.
  assert.equal(s(parser.takeAll()), "xaaab");

  // The same line with room for it.
  const ok = new LineParser(b("aab"), 2);
  ok.feed(b("xaa"));
  assert.equal(ok.next(), null);
  ok.feed(b("ab"));
  assert.equal(s(ok.next() as Uint8Array), "xa");
});

Deno.test("LineParser: a partial delimiter that slides forward is refused once the line cannot fit", () => {
  const parser = new LineParser(b("aab"), 2);
  parser.feed(b("xaa"));
  assert.equal(parser.next(), null); // could still be "x" + "aab"
  parser.feed(b("a"));
  assert.equal(parser.next(), null); // could still be "xa" + "aab"
  parser.feed(b("a"));
  const error = parser.next(); // at least "xaa": three bytes
  assert.ok(error instanceof LineTooLongError);
  assert.equal(error.length, 3);
  assert.equal(s(parser.takeAll()), "xaaaa");
});

Deno.test("LineReceiver: the KMP fallback edges through the protocol, any chunking", () => {
  const tooLong = lines("aab", 1);
  tooLong.dataReceived(b("xaa"));
  tooLong.dataReceived(b("ab"));
  assert.deepEqual(tooLong.lines, []);
  assert.deepEqual(tooLong.exceeded, ["xaaab"]);

  const sliding = lines("aab", 2);
  for (const chunk of ["xaa", "a", "a"]) sliding.dataReceived(b(chunk));
  assert.deepEqual(sliding.exceeded, ["xaaaa"]);

  const fits = lines("aab", 2);
  for (const chunk of ["xaa", "a", "b", "yaab"]) fits.dataReceived(b(chunk));
  assert.deepEqual(fits.lines, ["xa", "y"]);
  assert.deepEqual(fits.exceeded, []);
});

Deno.test("LineParser: chunks fed while the caller is not pulling are held, counted and taken in order", () => {
  const parser = new LineParser(b("\n"), 100);
  parser.feed(b("one\ntw"));
  assert.equal(s(parser.next() as Uint8Array), "one");
  parser.feed(b("o\nthr")); // the current chunk still holds "tw"
  parser.feed(b("ee"));
  assert.equal(parser.bufferedLength, 2 + 5 + 2);
  assert.equal(s(parser.next() as Uint8Array), "two");
  assert.equal(parser.bufferedLength, 5);
  assert.equal(parser.next(), null);
  assert.equal(s(parser.takeAll()), "three");
  assert.equal(parser.bufferedLength, 0);
});

Deno.test("LineParser: takeAll joins the unfinished line, the rest of the chunk and every pending chunk", () => {
  const parser = new LineParser(b("\r\n"), 100);
  parser.feed(b("par"));
  assert.equal(parser.next(), null); // "par" moves to the queue
  parser.feed(b("tial\r"));
  parser.feed(b("\nmore"));
  parser.feed(b(" and more"));
  assert.equal(parser.bufferedLength, 3 + 5 + 5 + 9);
  assert.equal(s(parser.takeAll()), "partial\r\nmore and more");
  assert.equal(parser.takeAll().length, 0);
});

Deno.test("LineReceiver and LineOnlyReceiver: sendLine refuses what is neither a string nor bytes", () => {
  for (const proto of [new LineReceiver(), new LineOnlyReceiver()]) {
    const transport = new StringTransport();
    proto.makeConnection(transport);
    assert.throws(
      () => proto.sendLine(42 as unknown as string),
      (error: unknown) =>
        error instanceof TypeError &&
        error.message === "Line must be a Uint8Array or a string: number",
    );
    assert.equal(transport.value().length, 0);
  }
});

Deno.test("LineOnlyReceiver: paused reflects pauseProducing and resumeProducing", () => {
  const proto = new LineOnlyReceiver();
  const transport = new StringTransport();
  proto.makeConnection(transport);
  assert.equal(proto.paused, false);
  proto.pauseProducing();
  assert.equal(proto.paused, true);
  assert.equal(transport.producerState, "paused");
  proto.resumeProducing();
  assert.equal(proto.paused, false);
  assert.equal(transport.producerState, "producing");
});

Deno.test("IntNParser: maxLength reads back, applies to later prefixes, and is checked", () => {
  const parser = new IntNParser(1, 10);
  assert.equal(parser.maxLength, 10);
  parser.maxLength = 10; // same value: nothing to check
  parser.maxLength = 2;
  assert.equal(parser.maxLength, 2);
  assert.throws(() => parser.maxLength = -1, RangeError);
  assert.equal(parser.maxLength, 2);
  parser.push(new Uint8Array([2, 65, 66, 3]));
  assert.deepEqual(parser.next(), new Uint8Array([65, 66]));
  assert.throws(() => parser.next(), LengthLimitExceededError);
});

Deno.test("IntNParser: after an error nothing is pending, pushes are dropped, end and next rethrow it", () => {
  const parser = new IntNParser(2, 4);
  parser.push(new Uint8Array([0, 9, 1, 2]));
  let first: unknown;
  try {
    parser.next();
  } catch (error) {
    first = error;
  }
  assert.ok(first instanceof LengthLimitExceededError);
  assert.equal(parser.error, first);
  assert.equal(parser.pendingLength, 0);
  parser.push(new Uint8Array([0, 1, 7]));
  assert.equal(parser.bufferedLength, 0);
  assert.throws(() => parser.end(), (error) => error === first);
  assert.throws(() => parser.next(), (error) => error === first);
});

Deno.test("NetstringParser: maxLength reads back and is checked; after an error nothing is pending", () => {
  const parser = new NetstringParser(5);
  assert.equal(parser.maxLength, 5);
  parser.maxLength = 5;
  parser.maxLength = 3;
  assert.equal(parser.maxLength, 3);
  assert.throws(() => parser.maxLength = Number.NaN, RangeError);
  parser.push(b("3:abc,4:"));
  assert.equal(s(parser.next()!), "abc");
  assert.throws(() => parser.next(), NetstringParseError);
  assert.equal(parser.pendingLength, 0);
  assert.ok(parser.error instanceof NetstringParseError);
  assert.throws(() => parser.end(), (error) => error === parser.error);
});

Deno.test("IntNStringReceiver and NetstringReceiver: sendString refuses what is neither a string nor bytes", () => {
  const int8 = new Int8StringReceiver();
  const t1 = new StringTransport();
  int8.makeConnection(t1);
  assert.throws(
    () => int8.sendString({} as unknown as string),
    (error: unknown) =>
      error instanceof TypeError &&
      error.message === "Payload must be a Uint8Array or a string: object",
  );
  assert.equal(t1.value().length, 0);

  const net = new NetstringReceiver();
  const t2 = new StringTransport();
  net.makeConnection(t2);
  assert.throws(() => net.sendString(7 as unknown as string), TypeError);
  assert.equal(t2.value().length, 0);
});
