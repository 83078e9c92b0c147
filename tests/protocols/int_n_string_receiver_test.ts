// IntNStringReceiver and its parser; vectors ported from Twisted's
// test_basic.py IntNTestCaseMixin and Int8/Int16/Int32Tests.

import assert from "node:assert/strict";
import { encodeIntN, IntNParser } from "../../protocols/_int_n_parser.ts";
import {
  Int16StringReceiver,
  Int32StringReceiver,
  Int8StringReceiver,
  IntNStringReceiver,
} from "../../protocols/int_n_string_receiver.ts";
import { LengthLimitExceededError } from "../../protocols/length_limit_exceeded_error.ts";
import { StringTooLongError } from "../../protocols/string_too_long_error.ts";
import { TruncatedFrameError } from "../../protocols/truncated_frame_error.ts";
import { StringTransport } from "../../testing/string_transport.ts";
import { CountingTransport } from "./_counting_transport.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const b = (s: string): Uint8Array => enc.encode(s);

type Receiver = IntNStringReceiver & {
  received: string[];
  exceeded: number[];
};

/** Twisted's TestInt8/16/32: record strings (MAX_LENGTH 50, as TestMixin). */
function recording(base: typeof IntNStringReceiver): new () => Receiver {
  return class extends base {
    override MAX_LENGTH = 50;
    received: string[] = [];
    exceeded: number[] = [];
    override stringReceived(data: Uint8Array): void {
      this.received.push(dec.decode(data));
    }
    override lengthLimitExceeded(length: number): void {
      this.exceeded.push(length);
      super.lengthLimitExceeded(length);
    }
  };
}

function connect(
  Class: new () => Receiver,
): { proto: Receiver; transport: CountingTransport } {
  const transport = new CountingTransport();
  const proto = new Class();
  proto.makeConnection(transport);
  return { proto, transport };
}

function pack(prefixLength: number, length: number): Uint8Array {
  const out = new Uint8Array(prefixLength);
  for (
    let i = prefixLength - 1;
    i >= 0;
    i--, length = Math.floor(length / 256)
  ) {
    out[i] = length & 0xff;
  }
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const cases = [
  {
    name: "Int32",
    base: Int32StringReceiver,
    prefixLength: 4,
    illegal: "\x10\x00\x00\x00aaaaaa",
    partial: ["\x00\x00\x00", "hello there", ""],
    data: [0, 0, 0, 3],
  },
  {
    name: "Int16",
    base: Int16StringReceiver,
    prefixLength: 2,
    illegal: "\x10\x00aaaaaa",
    partial: ["\x00", "hello there", ""],
    data: [0, 3],
  },
  {
    name: "Int8",
    base: Int8StringReceiver,
    prefixLength: 1,
    illegal: "\x00\x00aaaaaa", // Twisted's vector: legal empty strings, then 97 > 50
    partial: ["\x08", "dzadz", ""],
    data: [3],
  },
] as const;

const latin1 = (s: string): Uint8Array =>
  Uint8Array.from(s, (c) => c.charCodeAt(0));

for (const c of cases) {
  const Class = recording(c.base);

  Deno.test(`${c.name}StringReceiver has a ${c.prefixLength}-byte prefix`, () => {
    assert.equal(new c.base().prefixLength, c.prefixLength);
    assert.equal(new c.base().MAX_LENGTH, 99999);
  });

  Deno.test(`${c.name}StringReceiver receives strings fed byte by byte (testReceive)`, () => {
    const { proto } = connect(Class);
    for (const s of ["a", "b".repeat(16)]) {
      const wire = concat(pack(c.prefixLength, s.length), b(s));
      for (let i = 0; i < wire.length; i++) {
        proto.dataReceived(wire.slice(i, i + 1));
      }
    }
    assert.deepEqual(proto.received, ["a", "b".repeat(16)]);
  });

  Deno.test(`${c.name}StringReceiver delivers nothing for partial data (testPartial)`, () => {
    for (const s of c.partial) {
      const { proto } = connect(Class);
      for (const byte of latin1(s)) proto.dataReceived(new Uint8Array([byte]));
      assert.deepEqual(proto.received, [], JSON.stringify(s));
    }
  });

  Deno.test(`${c.name}StringReceiver closes on illegal strings (test_illegal)`, () => {
    const { proto, transport } = connect(Class);
    for (const byte of latin1(c.illegal)) {
      proto.dataReceived(new Uint8Array([byte]));
    }
    assert.equal(transport.disconnecting, true);
    assert.equal(proto.exceeded.length, 1);
  });

  Deno.test(`${c.name}StringReceiver.sendString frames in one write (testSend, test_data)`, () => {
    const { proto, transport } = connect(Class);
    proto.sendString(b("b".repeat(16)));
    assert.deepEqual(
      transport.value(),
      concat(pack(c.prefixLength, 16), b("b".repeat(16))),
    );
    assert.equal(transport.writes, 1);
    transport.clear();
    proto.sendString("foo");
    assert.deepEqual(
      transport.value(),
      concat(new Uint8Array(c.data), b("foo")),
    );
    proto.dataReceived(concat(pack(c.prefixLength, 4), b("ubar")));
    assert.deepEqual(proto.received, ["ubar"]);
  });

  Deno.test(`${c.name}StringReceiver calls lengthLimitExceeded when the prefix arrives`, () => {
    const { proto, transport } = connect(Class);
    proto.MAX_LENGTH = 10;
    proto.dataReceived(pack(c.prefixLength, 11)); // no payload yet
    assert.deepEqual(proto.exceeded, [11]);
    assert.equal(transport.disconnecting, true);
  });

  Deno.test(`${c.name}StringReceiver: MAX_LENGTH is inclusive; a long string is not delivered`, () => {
    const ok = connect(Class);
    ok.proto.MAX_LENGTH = 10;
    ok.proto.dataReceived(concat(pack(c.prefixLength, 10), b("x".repeat(10))));
    assert.deepEqual(ok.proto.received, ["x".repeat(10)]);
    const refused = connect(Class);
    refused.proto.MAX_LENGTH = 10;
    refused.proto.dataReceived(
      concat(pack(c.prefixLength, 11), b("x".repeat(11))),
    );
    assert.deepEqual(refused.proto.received, []);
    assert.deepEqual(refused.proto.exceeded, [11]);
  });

  Deno.test(`${c.name}StringReceiver.sendString throws StringTooLongError past the prefix`, () => {
    const { proto, transport } = connect(Class);
    const max = 2 ** (8 * c.prefixLength) - 1;
    if (c.prefixLength < 4) {
      proto.sendString(new Uint8Array(max)); // the largest that fits; over MAX_LENGTH is fine
      assert.equal(transport.value().length, c.prefixLength + max);
      transport.clear();
      assert.throws(
        () => proto.sendString(new Uint8Array(max + 1)),
        (error: unknown) =>
          error instanceof StringTooLongError &&
          error.name === "StringTooLongError" &&
          error.message ===
            `String length exceeds what a ${c.prefixLength}-byte prefix can hold: ${
              max + 1
            } > ${max}`,
      );
      assert.equal(transport.value().length, 0);
    } else {
      // Don't allocate 4 GiB: check the encoder's arithmetic with a fake length.
      const fake = { length: 2 ** 32 } as unknown as Uint8Array;
      Object.setPrototypeOf(fake, Uint8Array.prototype);
      assert.throws(() => encodeIntN(fake, 4), StringTooLongError);
    }
  });
}

Deno.test("Int8StringReceiver: sendString of 300 bytes names the limit", () => {
  const proto = new Int8StringReceiver();
  proto.makeConnection(new StringTransport());
  assert.throws(
    () => proto.sendString("x".repeat(300)),
    new StringTooLongError(300, 1),
  );
  assert.equal(
    new StringTooLongError(300, 1).message,
    "String length exceeds what a 1-byte prefix can hold: 300 > 255",
  );
});

Deno.test("IntNStringReceiver.stringReceived throws unless overridden", () => {
  assert.throws(
    () => new IntNStringReceiver().stringReceived(b("foo")),
    /not implemented/,
  );
});

Deno.test("IntNStringReceiver stops parsing after the limit, even buffered strings", () => {
  class Lenient extends recording(Int16StringReceiver) {
    override lengthLimitExceeded(length: number): void {
      this.exceeded.push(length); // does not close the connection
    }
  }
  const { proto, transport } = connect(Lenient);
  proto.dataReceived(
    concat(pack(2, 1), b("a"), pack(2, 51), pack(2, 1), b("c")),
  );
  assert.deepEqual(proto.received, ["a"]);
  proto.dataReceived(concat(pack(2, 1), b("d")));
  proto.resumeProducing();
  assert.deepEqual(proto.received, ["a"]);
  assert.deepEqual(proto.exceeded, [51]);
  assert.equal(transport.disconnecting, false);
});

Deno.test("IntNStringReceiver delivers nothing more once the transport is disconnecting", () => {
  class Quitter extends recording(Int8StringReceiver) {
    override stringReceived(data: Uint8Array): void {
      super.stringReceived(data);
      if (dec.decode(data) === "QUIT") this.transport!.loseConnection();
    }
  }
  const { proto } = connect(Quitter);
  proto.dataReceived(concat(pack(1, 4), b("QUIT"), pack(1, 1), b("b")));
  proto.dataReceived(concat(pack(1, 1), b("c")));
  assert.deepEqual(proto.received, ["QUIT"]);
});

Deno.test("IntNStringReceiver pauses, resumes and stops delivery and the transport", () => {
  class Pausing extends recording(Int32StringReceiver) {
    override stringReceived(data: Uint8Array): void {
      super.stringReceived(data);
      this.pauseProducing();
    }
  }
  const { proto, transport } = connect(Pausing);
  const frames = ["a", "b", "c"].map((s) => concat(pack(4, 1), b(s)));
  const wire = concat(...frames);
  proto.dataReceived(wire.subarray(0, wire.length - 1));
  assert.deepEqual(proto.received, ["a"]);
  assert.equal(transport.producerState, "paused");
  proto.resumeProducing();
  assert.deepEqual(proto.received, ["a", "b"]);
  proto.dataReceived(wire.subarray(wire.length - 1));
  assert.deepEqual(proto.received, ["a", "b"]);
  proto.resumeProducing();
  assert.deepEqual(proto.received, ["a", "b", "c"]);
  proto.stopProducing();
  assert.equal(transport.producerState, "stopped");
  proto.dataReceived(frames[0]);
  assert.deepEqual(proto.received, ["a", "b", "c"]);
});

Deno.test("IntNStringReceiver hands out views; a custom subclass may set prefixLength", () => {
  const views: Uint8Array[] = [];
  class Custom extends IntNStringReceiver {
    override prefixLength: 1 | 2 | 4 = 2;
    override stringReceived(data: Uint8Array): void {
      views.push(data);
    }
  }
  const proto = new Custom();
  proto.makeConnection(new StringTransport());
  const chunk = concat(pack(2, 3), b("abc"), pack(2, 0));
  proto.dataReceived(chunk);
  assert.equal(views.length, 2);
  assert.equal(views[0].buffer, chunk.buffer);
  assert.equal(dec.decode(views[0]), "abc");
  assert.equal(views[1].length, 0);
});

Deno.test("IntNParser: limit at the prefix, bufferedLength, end() and refusal after an error", () => {
  const parser = new IntNParser(4, 10);
  parser.push(new Uint8Array([0, 0]));
  assert.equal(parser.next(), undefined);
  assert.equal(parser.pendingLength, 2);
  assert.throws(() => parser.end(), new TruncatedFrameError(2));
  parser.push(new Uint8Array([0, 3, 0x61]));
  assert.equal(parser.next(), undefined);
  assert.equal(parser.bufferedLength, 1); // the prefix is consumed
  parser.push(new Uint8Array([0x62, 0x63, 0xff, 0xff, 0xff, 0xff, 1, 2, 3]));
  assert.equal(dec.decode(parser.next()!), "abc");
  assert.throws(
    () => parser.next(),
    new LengthLimitExceededError(2 ** 32 - 1, 10),
  );
  assert.equal(parser.bufferedLength, 0);
  parser.push(new Uint8Array([0, 0, 0, 0]));
  assert.equal(parser.bufferedLength, 0);
  assert.throws(() => parser.next(), LengthLimitExceededError);
  assert.equal(parser.error?.length, 2 ** 32 - 1);
  assert.throws(() => new IntNParser(3 as 4), RangeError);
  assert.throws(() => new IntNParser(4, Number.NaN), RangeError);
  assert.equal(
    new LengthLimitExceededError(100000, 99999).message,
    "Frame length exceeds MAX_LENGTH: 100000 > 99999",
  );
});

Deno.test("IntNStringReceiver: a prefix length other than 1, 2 or 4 is a RangeError when sending too", () => {
  // Every short prefix cached first: a bad prefix length must not find one
  // of them (2.5 × 256 + 0 is the slot of prefix 2, length 128).
  const warm = new IntNStringReceiver();
  warm.makeConnection(new StringTransport());
  for (const prefixLength of [1, 2, 4] as const) {
    warm.prefixLength = prefixLength;
    for (let n = 0; n < 256; n++) warm.sendString(new Uint8Array(n));
  }
  const proto = new IntNStringReceiver();
  const transport = new StringTransport();
  proto.makeConnection(transport);
  for (const bad of [3, 2.5, 1.25, 4.5, "2", 0, 5, -1, NaN]) {
    (proto as { prefixLength: unknown }).prefixLength = bad;
    for (const size of [0, 5, 300]) {
      assert.throws(
        () => proto.sendString(new Uint8Array(size)),
        (error: unknown) =>
          error instanceof RangeError &&
          error.message === `Prefix length must be 1, 2 or 4: ${bad}`,
        `prefixLength ${String(bad)}, ${size} bytes`,
      );
    }
  }
  assert.equal(transport.value().length, 0);
});

// Whole frames of a chunk are cut straight out of it; these are the edges of
// that path: a hook feeding more bytes, throwing, or lowering MAX_LENGTH in
// the middle of a chunk.
Deno.test("IntNStringReceiver keeps order when stringReceived re-enters dataReceived mid-chunk", () => {
  class Reentrant extends recording(Int16StringReceiver) {
    override stringReceived(data: Uint8Array): void {
      super.stringReceived(data);
      if (dec.decode(data) === "a") {
        this.dataReceived(concat(pack(2, 1), b("c"), pack(2, 2), b("d")));
        this.dataReceived(b("e"));
      }
    }
  }
  const { proto } = connect(Reentrant);
  proto.dataReceived(concat(pack(2, 1), b("a"), pack(2, 1), b("b")));
  assert.deepEqual(proto.received, ["a", "b", "c", "de"]);
});

Deno.test("IntNStringReceiver: a hook that throws mid-chunk leaves the rest of the chunk queued, in order", () => {
  class Fragile extends recording(Int8StringReceiver) {
    override stringReceived(data: Uint8Array): void {
      super.stringReceived(data);
      if (dec.decode(data) === "boom") throw new Error("boom");
    }
  }
  const { proto } = connect(Fragile);
  assert.throws(
    () =>
      proto.dataReceived(
        concat(pack(1, 4), b("boom"), pack(1, 1), b("b"), pack(1, 2), b("c")),
      ),
    /boom/,
  );
  assert.deepEqual(proto.received, ["boom"]);
  proto.dataReceived(b("d"));
  assert.deepEqual(proto.received, ["boom", "b", "cd"]);
});

Deno.test("IntNStringReceiver: MAX_LENGTH lowered by a hook applies to the next frame of the same chunk", () => {
  class Shrinking extends recording(Int16StringReceiver) {
    override stringReceived(data: Uint8Array): void {
      super.stringReceived(data);
      this.MAX_LENGTH = 2;
    }
  }
  const { proto, transport } = connect(Shrinking);
  proto.dataReceived(concat(pack(2, 5), b("first"), pack(2, 3), b("abc")));
  assert.deepEqual(proto.received, ["first"]);
  assert.deepEqual(proto.exceeded, [3]);
  assert.equal(transport.disconnecting, true);
});
