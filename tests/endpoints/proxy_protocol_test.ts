// The PROXY protocol parser (sans-IO): v1 and v2 headers of every family,
// LOCAL, UNKNOWN, TLVs and CRC32C, every error, delivered whole, byte by byte
// and in random chunks (Twisted #8287: the header split across packets).

import assert from "node:assert/strict";
import fc from "fast-check";
import {
  type ProxyHeader,
  ProxyHeaderParser,
  type ProxyHeaderResult,
  V1_MAX_LENGTH,
  V2_SIGNATURE,
} from "../../endpoints/_proxy_protocol.ts";
import { formatIPv6, parseIPv6 } from "../../protocols/_ip_address.ts";
import { crc32c } from "../../endpoints/_crc32c.ts";
import { ProxyProtocolError } from "../../endpoints/proxy_protocol_error.ts";

const enc = new TextEncoder();
const b = (s: string): Uint8Array => enc.encode(s);

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** A v2 header: signature, version/command, family/protocol, length, body. */
function v2(fam: number, body: Uint8Array, verCmd = 0x21): Uint8Array {
  const head = new Uint8Array(16);
  head.set(V2_SIGNATURE);
  head[12] = verCmd;
  head[13] = fam;
  head[14] = body.length >> 8;
  head[15] = body.length & 0xff;
  return concat(head, body);
}

function u16(n: number): Uint8Array {
  return Uint8Array.of(n >> 8, n & 0xff);
}

function inet(
  src: number[],
  dst: number[],
  sport: number,
  dport: number,
): Uint8Array {
  return concat(
    Uint8Array.from(src),
    Uint8Array.from(dst),
    u16(sport),
    u16(dport),
  );
}

function unixAddr(path: string | Uint8Array): Uint8Array {
  const out = new Uint8Array(108);
  out.set(typeof path === "string" ? b(path) : path);
  return out;
}

function tlv(type: number, value: Uint8Array): Uint8Array {
  return concat(Uint8Array.of(type), u16(value.length), value);
}

/** Feed `chunks` until the result; returns it and what was never pushed. */
function feed(
  chunks: Uint8Array[],
): { result: ProxyHeaderResult; unpushed: Uint8Array[] } {
  const parser = new ProxyHeaderParser();
  for (const [i, chunk] of chunks.entries()) {
    const result = parser.push(chunk);
    if (result !== null) return { result, unpushed: chunks.slice(i + 1) };
  }
  throw new Error("header incomplete");
}

function split(bytes: Uint8Array, sizes: number[]): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  let at = 0;
  for (const size of sizes) {
    if (at >= bytes.length) break;
    chunks.push(bytes.subarray(at, at + size));
    at += size;
  }
  if (at < bytes.length) chunks.push(bytes.subarray(at));
  return chunks;
}

function bytewise(bytes: Uint8Array): Uint8Array[] {
  return split(bytes, new Array(bytes.length).fill(1));
}

/**
 * Parse `header + payload` whole, byte by byte, and in two halves; every
 * way must give the same header and deliver the payload intact after it.
 */
function parseEveryWay(header: Uint8Array, payload = b("")): ProxyHeader {
  const bytes = concat(header, payload);
  const results = [
    [bytes],
    bytewise(bytes),
    split(bytes, [Math.floor(bytes.length / 2)]),
    split(bytes, [header.length]),
  ].map((chunks) => {
    const { result, unpushed } = feed(chunks);
    assert.deepEqual(concat(result.rest, ...unpushed), payload);
    return result.header;
  });
  for (const header of results) assert.deepEqual(header, results[0]);
  return results[0];
}

/** The error `bytes` raise, checking it is raised by the same byte however fed. */
function errorOf(bytes: Uint8Array): ProxyProtocolError {
  let whole: unknown;
  try {
    new ProxyHeaderParser().push(bytes);
  } catch (error) {
    whole = error;
  }
  assert.ok(whole instanceof ProxyProtocolError, `no error for ${bytes}`);
  const parser = new ProxyHeaderParser();
  let bytewiseError: unknown;
  for (const chunk of bytewise(bytes)) {
    try {
      parser.push(chunk);
    } catch (error) {
      bytewiseError = error;
      break;
    }
  }
  assert.ok(bytewiseError instanceof ProxyProtocolError);
  assert.equal(bytewiseError.message, whole.message);
  assert.equal(whole.name, "ProxyProtocolError");
  return whole;
}

const tcp = (hostname: string, port: number): Deno.NetAddr => ({
  transport: "tcp",
  hostname,
  port,
});

// --- v1 ---------------------------------------------------------------------

Deno.test("v1: TCP4, whole, byte by byte and split, payload kept", () => {
  const header = parseEveryWay(
    b("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n"),
    b("GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
  );
  assert.deepEqual(header, {
    version: 1,
    command: "proxy",
    source: tcp("192.168.0.1", 56324),
    destination: tcp("192.168.0.11", 443),
    tlvs: [],
  });
});

Deno.test("v1: edge values of addresses and ports", () => {
  const header = parseEveryWay(
    b("PROXY TCP4 0.0.0.0 255.255.255.255 0 65535\r\n"),
  );
  assert.deepEqual(header.source, tcp("0.0.0.0", 0));
  assert.deepEqual(header.destination, tcp("255.255.255.255", 65535));
});

Deno.test("v1: TCP6 addresses come out in RFC 5952 form, as Deno reports them", () => {
  const cases: [string, string][] = [
    ["::1", "::1"],
    ["2001:DB8:0:0:0:0:0:1", "2001:db8::1"],
    ["2001:0db8:0000:0000:0001:0000:0000:0001", "2001:db8::1:0:0:1"],
    ["::ffff:127.0.0.1", "::ffff:127.0.0.1"],
    ["0:0:0:0:0:ffff:7f00:1", "::ffff:127.0.0.1"],
    ["fe80::", "fe80::"],
    ["::", "::"],
    ["1:0:0:2:0:0:0:3", "1:0:0:2::3"],
    ["1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"],
    ["1:2:3:4:5:6:0:8", "1:2:3:4:5:6:0:8"],
    [
      "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
      "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
    ],
  ];
  for (const [text, canonical] of cases) {
    const header = parseEveryWay(b(`PROXY TCP6 ${text} ::2 1 2\r\n`));
    assert.deepEqual(header.source, tcp(canonical, 1), text);
    assert.deepEqual(header.destination, tcp("::2", 2));
  }
});

Deno.test("v1: UNKNOWN, short and long, keeps the socket's addresses", () => {
  for (
    const line of [
      "PROXY UNKNOWN\r\n",
      "PROXY UNKNOWN ffff:f:f:f:f:f:f:ffff ::1 65535 65535\r\n",
      "PROXY UNKNOWN whatever the sender put here\r\n",
    ]
  ) {
    const header = parseEveryWay(b(line), b("data"));
    assert.deepEqual(header, {
      version: 1,
      command: "proxy",
      source: null,
      destination: null,
      tlvs: [],
    });
  }
});

Deno.test("v1: a 107-byte line is accepted, 108 is refused at its 107th byte", () => {
  const worst =
    "PROXY UNKNOWN ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n";
  assert.equal(worst.length, V1_MAX_LENGTH);
  parseEveryWay(b(worst));
  const tooLong = `PROXY UNKNOWN ${"x".repeat(V1_MAX_LENGTH)}\r\n`;
  const error = errorOf(b(tooLong));
  assert.match(
    error.message,
    /^PROXY v1 line too long: no CRLF within 107 bytes/,
  );
  // Refused as soon as no CRLF can fit, not after buffering more.
  const parser = new ProxyHeaderParser();
  assert.equal(parser.push(b(tooLong.slice(0, V1_MAX_LENGTH - 1))), null);
  assert.throws(() => parser.push(b("x")), ProxyProtocolError);
  const crAtEnd = new ProxyHeaderParser();
  assert.equal(crAtEnd.push(b(tooLong.slice(0, V1_MAX_LENGTH - 1))), null);
  assert.throws(() => crAtEnd.push(b("\r")), /too long/);
});

Deno.test("v1: malformed lines are refused with a message naming the problem", () => {
  const cases: [string, RegExp][] = [
    [
      "PROXX TCP4",
      /^Invalid PROXY v1 signature: byte 4 is 0x58 \("X"\), expected 0x59 \("Y"\)/,
    ],
    ["PROXYTCP4", /^Invalid PROXY v1 signature: byte 5/],
    [
      "PROXY TCP4 1.2.3.4\n",
      /^Invalid PROXY v1 line: LF without CR at byte 18/,
    ],
    [
      "PROXY TCP4 1.2.3.4\rx",
      /^Invalid PROXY v1 line: CR not followed by LF at byte 18/,
    ],
    ["PROXY TCP4 1.2.3.4\r\r\n", /CR not followed by LF/],
    [
      "PROXY TCP4 1.2.3.4\t",
      /^Invalid PROXY v1 line: byte 18 is 0x09, not printable ASCII/,
    ],
    ["PROXY TCP4 é", /not printable ASCII/],
    [
      "PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n",
      /^Unknown PROXY v1 protocol: "TCP5" \(expected TCP4, TCP6 or UNKNOWN\)/,
    ],
    [
      "PROXY tcp4 1.2.3.4 5.6.7.8 1 2\r\n",
      /^Unknown PROXY v1 protocol: "tcp4"/,
    ],
    ["PROXY \r\n", /^Unknown PROXY v1 protocol: ""/],
    ["PROXY  TCP4 1.2.3.4 5.6.7.8 1 2\r\n", /^Unknown PROXY v1 protocol: ""/],
    ["PROXY UNKNOWNX\r\n", /^Unknown PROXY v1 protocol: "UNKNOWNX"/],
    [
      "PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n",
      /^Malformed PROXY v1 line: 4 fields after PROXY/,
    ],
    [
      "PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n",
      /^Malformed PROXY v1 line: 6 fields/,
    ],
    [
      "PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n",
      /^Malformed PROXY v1 line: 6 fields/,
    ],
    ["PROXY TCP4\r\n", /^Malformed PROXY v1 line: 1 fields/],
    [
      "PROXY TCP4 1.2.3.256 5.6.7.8 1 2\r\n",
      /^Invalid PROXY v1 source address: "1.2.3.256" \(expected IPv4\)/,
    ],
    [
      "PROXY TCP4 1.2.3.04 5.6.7.8 1 2\r\n",
      /^Invalid PROXY v1 source address: "1.2.3.04"/,
    ],
    ["PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n", /^Invalid PROXY v1 source address/],
    [
      "PROXY TCP4 1.2.3.4.5 5.6.7.8 1 2\r\n",
      /^Invalid PROXY v1 source address/,
    ],
    ["PROXY TCP4 1.2.3.-4 5.6.7.8 1 2\r\n", /^Invalid PROXY v1 source address/],
    [
      "PROXY TCP4 1.2.3.4 ::1 1 2\r\n",
      /^Invalid PROXY v1 destination address: "::1" \(expected IPv4\)/,
    ],
    [
      "PROXY TCP6 1.2.3.4 ::1 1 2\r\n",
      /^Invalid PROXY v1 source address: "1.2.3.4" \(expected IPv6\)/,
    ],
    [
      "PROXY TCP6 ::1 1::2::3 1 2\r\n",
      /^Invalid PROXY v1 destination address: "1::2::3"/,
    ],
    ["PROXY TCP6 ::1 1:2:3:4:5:6:7 1 2\r\n", /destination address/],
    ["PROXY TCP6 ::1 1:2:3:4:5:6:7:8:9 1 2\r\n", /destination address/],
    ["PROXY TCP6 ::1 1:2:3:4::5:6:7:8 1 2\r\n", /destination address/],
    ["PROXY TCP6 ::1 12345::1 1 2\r\n", /destination address/],
    ["PROXY TCP6 ::1 g::1 1 2\r\n", /destination address/],
    ["PROXY TCP6 ::1 :1:2:3:4:5:6:7 1 2\r\n", /destination address/],
    ["PROXY TCP6 ::1 1.2.3.4::1 1 2\r\n", /destination address/],
    ["PROXY TCP6 ::1 ::1.2.3.256 1 2\r\n", /destination address/],
    [
      "PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n",
      /^Invalid PROXY v1 source port: "65536" \(expected 0-65535 without leading zeros\)/,
    ],
    [
      "PROXY TCP4 1.2.3.4 5.6.7.8 080 2\r\n",
      /^Invalid PROXY v1 source port: "080"/,
    ],
    ["PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n", /^Invalid PROXY v1 source port/],
    [
      "PROXY TCP4 1.2.3.4 5.6.7.8 1 +2\r\n",
      /^Invalid PROXY v1 destination port: "\+2"/,
    ],
    [
      "PROXY TCP4 1.2.3.4 5.6.7.8 1 99999999\r\n",
      /^Invalid PROXY v1 destination port/,
    ],
    [
      "PROXY TCP4 1.2.3.4 5.6.7.8 1 0x10\r\n",
      /^Invalid PROXY v1 destination port/,
    ],
  ];
  for (const [line, message] of cases) {
    assert.match(errorOf(b(line)).message, message, JSON.stringify(line));
  }
});

// --- v2 ---------------------------------------------------------------------

Deno.test("v2: TCP over IPv4", () => {
  const header = parseEveryWay(
    v2(0x11, inet([10, 0, 0, 1], [192, 168, 1, 2], 40000, 443)),
    b("hello"),
  );
  assert.deepEqual(header, {
    version: 2,
    command: "proxy",
    source: tcp("10.0.0.1", 40000),
    destination: tcp("192.168.1.2", 443),
    tlvs: [],
  });
});

Deno.test("v2: UDP over IPv4 gives udp addresses", () => {
  const header = parseEveryWay(
    v2(0x12, inet([1, 2, 3, 4], [5, 6, 7, 8], 53, 53)),
  );
  assert.deepEqual(header.source, {
    transport: "udp",
    hostname: "1.2.3.4",
    port: 53,
  });
});

Deno.test("v2: TCP over IPv6", () => {
  const src = parseIPv6("2001:db8::7")!;
  const dst = parseIPv6("::ffff:10.1.2.3")!;
  const header = parseEveryWay(
    v2(0x21, concat(src, dst, u16(1234), u16(80))),
    b("x"),
  );
  assert.deepEqual(header.source, tcp("2001:db8::7", 1234));
  assert.deepEqual(header.destination, tcp("::ffff:10.1.2.3", 80));
});

Deno.test("v2: UNIX stream and datagram, named and abstract", () => {
  const header = parseEveryWay(
    v2(0x31, concat(unixAddr("/run/client.sock"), unixAddr("/run/app.sock"))),
    b("payload"),
  );
  assert.deepEqual(header.source, {
    transport: "unix",
    path: "/run/client.sock",
  });
  assert.deepEqual(header.destination, {
    transport: "unix",
    path: "/run/app.sock",
  });
  const abstract = parseEveryWay(
    v2(0x32, concat(unixAddr(Uint8Array.of(0, ...b("hidden"))), unixAddr(""))),
  );
  assert.deepEqual(abstract.source, { transport: "unix", path: "@hidden" });
  assert.deepEqual(abstract.destination, { transport: "unix", path: "" });
});

Deno.test("v2: LOCAL ignores family and address block (health checks)", () => {
  for (
    const [fam, body] of [
      [0x00, new Uint8Array(0)],
      [0x11, inet([1, 1, 1, 1], [2, 2, 2, 2], 1, 2)],
      // The family is ignored for LOCAL, even one a PROXY header may not use.
      [0xff, Uint8Array.of(1, 2, 3)],
      [0x31, new Uint8Array(5)],
    ] as [number, Uint8Array][]
  ) {
    const header = parseEveryWay(v2(fam, body, 0x20), b("after"));
    assert.deepEqual(header, {
      version: 2,
      command: "local",
      source: null,
      destination: null,
      tlvs: [],
    });
  }
});

Deno.test("v2: AF_UNSPEC or an unspecified protocol keeps the socket's addresses", () => {
  for (
    const [fam, body] of [
      [0x00, new Uint8Array(0)],
      [0x00, Uint8Array.of(9, 9, 9)],
      [0x10, inet([1, 1, 1, 1], [2, 2, 2, 2], 1, 2)],
      [0x20, new Uint8Array(0)],
      [0x01, new Uint8Array(0)],
    ] as [number, Uint8Array][]
  ) {
    const header = parseEveryWay(v2(fam, body), b("z"));
    assert.equal(header.command, "proxy");
    assert.equal(header.source, null, `fam ${fam}`);
    assert.equal(header.destination, null);
  }
});

Deno.test("v2: TLVs are returned in order as copies", () => {
  const alpn = tlv(0x01, b("h2"));
  const authority = tlv(0x02, b("example.com"));
  const noop = tlv(0x04, new Uint8Array(0));
  const custom = tlv(0xe0, new Uint8Array(300).fill(7));
  const bytes = v2(
    0x11,
    concat(
      inet([1, 2, 3, 4], [5, 6, 7, 8], 1, 2),
      alpn,
      authority,
      noop,
      custom,
    ),
  );
  const header = parseEveryWay(bytes, b("data"));
  assert.deepEqual(header.tlvs, [
    { type: 0x01, value: b("h2") },
    { type: 0x02, value: b("example.com") },
    { type: 0x04, value: new Uint8Array(0) },
    { type: 0xe0, value: new Uint8Array(300).fill(7) },
  ]);
  const { result } = feed([bytes]);
  assert.notEqual(result.header.tlvs[0].value.buffer, bytes.buffer);
});

Deno.test("v2: a 64 KiB header (the largest) arrives byte by byte", () => {
  const body = concat(
    inet([1, 2, 3, 4], [5, 6, 7, 8], 1, 2),
    tlv(0xe1, new Uint8Array(0xffff - 12 - 3).fill(1)),
  );
  assert.equal(body.length, 0xffff);
  const header = parseEveryWay(v2(0x11, body), b("tail"));
  assert.equal(header.tlvs[0].value.length, 0xffff - 15);
});

Deno.test("crc32c: RFC 3720 check value", () => {
  assert.equal(crc32c(b("123456789")), 0xe3069283);
  assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
  assert.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
});

function withCrc(
  body: (crc: Uint8Array) => Uint8Array,
  fam = 0x11,
): Uint8Array {
  const zeroed = v2(fam, body(new Uint8Array(4)));
  const crc = crc32c(zeroed);
  return v2(fam, body(Uint8Array.of(crc >>> 24, crc >>> 16, crc >>> 8, crc)));
}

Deno.test("v2: a CRC32C TLV is verified", () => {
  const body = (crc: Uint8Array): Uint8Array =>
    concat(
      inet([1, 2, 3, 4], [5, 6, 7, 8], 1, 2),
      tlv(0x03, crc),
      tlv(0x02, b("a")),
    );
  const good = withCrc(body);
  const header = parseEveryWay(good, b("ok"));
  assert.deepEqual(header.source, tcp("1.2.3.4", 1));
  assert.equal(header.tlvs[0].type, 0x03);
  const bad = good.slice();
  bad[bad.length - 1] ^= 1; // the authority TLV's value changed in flight
  assert.match(
    errorOf(bad).message,
    /^PROXY v2 CRC32C mismatch: header says 0x[0-9a-f]{8}, computed 0x[0-9a-f]{8}/,
  );
  assert.match(
    errorOf(
      v2(
        0x11,
        concat(
          inet([1, 2, 3, 4], [5, 6, 7, 8], 1, 2),
          tlv(0x03, new Uint8Array(3)),
        ),
      ),
    ).message,
    /^Invalid PROXY v2 CRC32C TLV: 3 bytes \(expected 4\)/,
  );
});

Deno.test("v2: malformed headers are refused with a message naming the problem", () => {
  const address = inet([1, 2, 3, 4], [5, 6, 7, 8], 1, 2);
  const badSignature = v2(0x11, address);
  badSignature[4] = 0x01;
  const cases: [Uint8Array, RegExp][] = [
    [
      badSignature,
      /^Invalid PROXY v2 signature: byte 4 is 0x01, expected 0x00/,
    ],
    [
      b("\r\n\r\nQUIT"),
      /^Invalid PROXY v2 signature: byte 4 is 0x51, expected 0x00/,
    ],
    [
      v2(0x11, address, 0x11),
      /^Unsupported PROXY protocol version: 1 \(expected 2\)/,
    ],
    [v2(0x11, address, 0x31), /^Unsupported PROXY protocol version: 3/],
    [v2(0x11, address, 0x01), /^Unsupported PROXY protocol version: 0/],
    [
      v2(0x11, address, 0x22),
      /^Unknown PROXY v2 command: 0x02 \(expected 0x00 LOCAL or 0x01 PROXY\)/,
    ],
    [v2(0x11, address, 0x2f), /^Unknown PROXY v2 command: 0x0f/],
    [v2(0x41, address), /^Unknown PROXY v2 address family: 0x04/],
    [v2(0xf1, address), /^Unknown PROXY v2 address family: 0x0f/],
    [v2(0x13, address), /^Unknown PROXY v2 transport protocol: 0x03/],
    [
      v2(0x11, address.subarray(0, 11)),
      /^Truncated PROXY v2 address block: 11 bytes < 12 for AF_INET/,
    ],
    [
      v2(0x21, new Uint8Array(35)),
      /^Truncated PROXY v2 address block: 35 bytes < 36 for AF_INET6/,
    ],
    [
      v2(0x31, new Uint8Array(215)),
      /^Truncated PROXY v2 address block: 215 bytes < 216 for AF_UNIX/,
    ],
    [
      v2(0x12, new Uint8Array(0)),
      /^Truncated PROXY v2 address block: 0 bytes < 12 for AF_INET/,
    ],
    [
      v2(0x11, concat(address, Uint8Array.of(1, 0))),
      /^Truncated PROXY v2 TLV: 2 bytes left at offset 28, a TLV needs 3/,
    ],
    [
      v2(0x11, concat(address, Uint8Array.of(1, 0, 5, 1, 2))),
      /^Truncated PROXY v2 TLV: type 0x01 at offset 28 says 5 bytes, 2 left/,
    ],
    [
      v2(0x11, concat(address, tlv(2, b("ok")), Uint8Array.of(0xe0))),
      /^Truncated PROXY v2 TLV: 1 bytes left at offset 33/,
    ],
  ];
  for (const [bytes, message] of cases) {
    assert.match(errorOf(bytes).message, message, String(message));
  }
});

Deno.test("errors come at the offending byte, before the rest arrives", () => {
  // A v2 signature mismatch at byte 4 is found with 5 bytes pushed.
  const parser = new ProxyHeaderParser();
  assert.equal(parser.push(V2_SIGNATURE.subarray(0, 4)), null);
  assert.throws(() => parser.push(Uint8Array.of(7)), /byte 4/);
  // A bad version with 13 bytes: the length and addresses never needed.
  const version = new ProxyHeaderParser();
  assert.equal(version.push(V2_SIGNATURE), null);
  assert.throws(() => version.push(Uint8Array.of(0x11)), /version: 1/);
  // A v1 lone LF at once, without waiting for 107 bytes.
  const lf = new ProxyHeaderParser();
  assert.equal(lf.push(b("PROXY TCP4")), null);
  assert.throws(() => lf.push(b("\n")), /LF without CR/);
});

Deno.test("not a PROXY header at all: refused at the first byte", () => {
  assert.match(
    errorOf(b("GET / HTTP/1.1\r\n\r\n")).message,
    /^Missing PROXY protocol header: the connection starts with 0x47 \("G"\)/,
  );
  assert.match(
    errorOf(Uint8Array.of(0x16, 3, 1)).message, // a TLS ClientHello
    /^Missing PROXY protocol header: the connection starts with 0x16$/,
  );
  assert.match(
    errorOf(b("POST /")).message,
    /^Invalid PROXY v1 signature: byte 1/,
  );
});

Deno.test("end(): a connection closed before a complete header", () => {
  assert.throws(() => new ProxyHeaderParser().end(), {
    name: "ProxyProtocolError",
    message:
      "Missing PROXY protocol header: the connection closed before sending one",
  });
  for (
    const partial of [
      b("PROXY TCP4 1.2.3.4"),
      b("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r"),
      V2_SIGNATURE.subarray(0, 7),
      v2(0x11, inet([1, 2, 3, 4], [5, 6, 7, 8], 1, 2)).subarray(0, 27),
    ]
  ) {
    const parser = new ProxyHeaderParser();
    for (const chunk of bytewise(partial)) {
      assert.equal(parser.push(chunk), null);
    }
    assert.equal(parser.received, partial.length);
    assert.throws(() => parser.end(), {
      name: "ProxyProtocolError",
      message:
        `Truncated PROXY protocol header: the connection closed after ${partial.length} bytes`,
    });
  }
});

Deno.test("the parser is done after its result or an error", () => {
  const parser = new ProxyHeaderParser();
  assert.ok(parser.push(b("PROXY UNKNOWN\r\n")));
  assert.throws(() => parser.push(b("x")), TypeError);
  assert.throws(() => parser.end(), TypeError);
  const failed = new ProxyHeaderParser();
  assert.throws(() => failed.push(b("x")), ProxyProtocolError);
  assert.throws(
    () => failed.push(b("PROXY")),
    /PROXY protocol parser is failed/,
  );
});

Deno.test("empty chunks are harmless", () => {
  const parser = new ProxyHeaderParser();
  assert.equal(parser.push(new Uint8Array(0)), null);
  assert.equal(parser.push(b("PROXY UNKNOWN\r")), null);
  assert.equal(parser.push(new Uint8Array(0)), null);
  const result = parser.push(b("\n"));
  assert.ok(result);
  assert.equal(result.rest.length, 0);
});

// --- properties ---------------------------------------------------------------

const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255));
const ipv6 = fc.uint8Array({ minLength: 16, maxLength: 16 });
const port = fc.nat(65535);

interface Case {
  bytes: Uint8Array;
  source: Deno.Addr | null;
}

const v1Case: fc.Arbitrary<Case> = fc.oneof(
  fc.tuple(ipv4, ipv4, port, port).map(([s, d, sp, dp]) => ({
    bytes: b(`PROXY TCP4 ${s.join(".")} ${d.join(".")} ${sp} ${dp}\r\n`),
    source: tcp(s.join("."), sp),
  })),
  fc.tuple(ipv6, ipv6, port, port).map(([s, d, sp, dp]) => ({
    bytes: b(`PROXY TCP6 ${formatIPv6(s)} ${formatIPv6(d)} ${sp} ${dp}\r\n`),
    source: tcp(formatIPv6(s), sp),
  })),
  fc.constant({ bytes: b("PROXY UNKNOWN\r\n"), source: null }),
);

const tlvs = fc.array(
  fc.tuple(
    fc.integer({ min: 0, max: 255 }).filter((t) => t !== 3),
    fc.uint8Array({ maxLength: 40 }),
  )
    .map(([type, value]) => tlv(type, value)),
  { maxLength: 4 },
);

const v2Case: fc.Arbitrary<Case> = fc.oneof(
  fc.tuple(ipv4, ipv4, port, port, tlvs).map(([s, d, sp, dp, t]) => ({
    bytes: v2(0x11, concat(inet(s, d, sp, dp), ...t)),
    source: tcp(s.join("."), sp),
  })),
  fc.tuple(ipv6, ipv6, port, port, tlvs).map(([s, d, sp, dp, t]) => ({
    bytes: v2(0x21, concat(s, d, u16(sp), u16(dp), ...t)),
    source: tcp(formatIPv6(s), sp),
  })),
  fc.tuple(fc.stringMatching(/^\/[a-z0-9/._-]{0,100}$/), tlvs).map((
    [path, t],
  ) => ({
    bytes: v2(0x31, concat(unixAddr(path), unixAddr("/srv"), ...t)),
    source: { transport: "unix" as const, path },
  })),
  fc.uint8Array({ maxLength: 64 }).map((junk) => ({
    bytes: v2(0x00, junk, 0x20),
    source: null,
  })),
);

Deno.test("property: any header, any chunking, payload intact", () => {
  fc.assert(
    fc.property(
      fc.oneof(v1Case, v2Case),
      fc.uint8Array({ maxLength: 200 }),
      fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 80 }),
      (header, payload, sizes) => {
        const bytes = concat(header.bytes, payload);
        const { result, unpushed } = feed(split(bytes, sizes));
        assert.deepEqual(result.header.source, header.source);
        assert.deepEqual(concat(result.rest, ...unpushed), payload);
      },
    ),
    { numRuns: 500 },
  );
});

Deno.test("property: a corrupted v1 line parses or throws ProxyProtocolError, nothing else", () => {
  fc.assert(
    fc.property(
      v1Case,
      fc.nat(),
      fc.integer({ min: 0, max: 255 }),
      (header, index, byte) => {
        const bytes = header.bytes.slice();
        bytes[index % bytes.length] = byte;
        try {
          new ProxyHeaderParser().push(bytes);
        } catch (error) {
          assert.ok(error instanceof ProxyProtocolError, String(error));
        }
      },
    ),
    { numRuns: 1000 },
  );
});

Deno.test("IPv6 text: format and parse agree, and match the URL parser", () => {
  fc.assert(
    fc.property(
      fc.oneof(
        ipv6,
        // Runs of zeros, where compression choices matter.
        fc.array(fc.oneof(fc.constant(0), fc.nat(0xffff)), {
          minLength: 8,
          maxLength: 8,
        })
          .map((groups) => {
            const bytes = new Uint8Array(16);
            groups.forEach((g, i) => {
              bytes[2 * i] = g >> 8;
              bytes[2 * i + 1] = g & 0xff;
            });
            return bytes;
          }),
      ),
      (bytes) => {
        const text = formatIPv6(bytes);
        assert.deepEqual(parseIPv6(text), bytes);
        assert.deepEqual(parseIPv6(text.toUpperCase()), bytes);
        // The URL parser writes IPv4-mapped addresses in hex (::ffff:7f00:1).
        if (!text.includes(".")) {
          assert.equal(`[${text}]`, new URL(`http://[${text}]/`).hostname);
        }
      },
    ),
    { numRuns: 1000 },
  );
});
