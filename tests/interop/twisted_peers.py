"""Twisted peers for torsion's interop tests (tests/interop/twisted_test.ts).

Run with Debian's /usr/bin/python3 (python3-twisted 22.4). Subcommands:

  server line|netstring|int32 --port 0
      Listen on 127.0.0.1, print "listening on PORT", echo every frame back
      with Twisted's own receiver. For each connection that ends, print one
      JSON line: {"event": "closed", "frames": N, "bytes": B, "clean": bool,
      "refused": null | "netstring" | "length" | "line"}. Exits 0 on SIGTERM.

  client line|netstring|int32 --port P --seed S --count N [--max-size M]
                              [--edge SIZE ...] [--timeout SECONDS]
      Connect with Twisted's own receiver, send the edge-sized messages then
      N random ones (sizes skewed: mostly small, some up to M bytes; lines
      never contain the delimiter), as one encoded stream written in random
      slices with reactor turns (callLater(0)) between some of them, and check
      that every frame echoed equals the message sent, in order. Prints one
      JSON summary line and exits 0 when everything came back intact, else 1.

  raw --port P --case HEX [--case HEX ...] [--timeout SECONDS]
      For each case, in order, on its own plain socket: send the bytes, then
      read until the peer closes (no half-close from this side). Prints one
      JSON line per case: {"received": HEX, "eof": bool, "reset": bool}.
"""

import argparse
import json
import random
import socket
import struct
import sys

LINE_MAX_LENGTH = 65536 + 64
DELIMITER = b"\r\n"


def random_size(rng, max_size):
    """Mostly small sizes, some medium, a few up to max_size."""
    r = rng.random()
    if r < 0.70:
        return rng.randint(0, min(64, max_size))
    if r < 0.90:
        return rng.randint(0, min(1024, max_size))
    if r < 0.98:
        return rng.randint(0, min(8192, max_size))
    return rng.randint(0, max_size)


def random_message(rng, framing, size):
    data = rng.randbytes(size)
    if framing == "line":
        # Same length, no delimiter inside ("\r\r\n" becomes "\r\r_").
        data = data.replace(DELIMITER, b"\r_")
    return data


def encode(framing, message):
    if framing == "line":
        return message + DELIMITER
    if framing == "netstring":
        return b"%d:%s," % (len(message), message)
    return struct.pack("!I", len(message)) + message


def random_slices(rng, stream):
    """Split stream into slices of random sizes (many tiny ones)."""
    slices = []
    offset = 0
    while offset < len(stream):
        r = rng.random()
        if r < 0.5:
            size = rng.randint(1, 8)
        elif r < 0.85:
            size = rng.randint(1, 1500)
        else:
            size = rng.randint(1, 65536)
        slices.append(stream[offset : offset + size])
        offset += size
    return slices


def receiver_class(framing):
    from twisted.protocols import basic

    if framing == "line":

        class Line(basic.LineReceiver):
            MAX_LENGTH = LINE_MAX_LENGTH

            def lineReceived(self, line):
                self.frameReceived(line)

            def lineLengthExceeded(self, line):
                self.refused = "line"
                return basic.LineReceiver.lineLengthExceeded(self, line)

        return Line
    if framing == "netstring":

        class Netstring(basic.NetstringReceiver):
            def stringReceived(self, string):
                self.frameReceived(string)

        return Netstring

    class Int32(basic.Int32StringReceiver):
        def stringReceived(self, string):
            self.frameReceived(string)

        def lengthLimitExceeded(self, length):
            self.refused = "length"
            return basic.Int32StringReceiver.lengthLimitExceeded(self, length)

    return Int32


def send_frame(protocol, framing, data):
    if framing == "line":
        protocol.sendLine(data)
    else:
        protocol.sendString(data)


def run_server(args):
    from twisted.internet import protocol, reactor
    from twisted.internet.error import ConnectionDone

    base = receiver_class(args.framing)
    framing = args.framing

    class Echo(base):
        frames = 0
        bytes = 0
        refused = None

        def frameReceived(self, data):
            self.frames += 1
            self.bytes += len(data)
            send_frame(self, framing, data)

        def connectionLost(self, reason):
            refused = self.refused
            if getattr(self, "brokenPeer", 0):
                refused = "netstring"
            summary = {
                "event": "closed",
                "frames": self.frames,
                "bytes": self.bytes,
                "clean": reason.check(ConnectionDone) is not None,
                "refused": refused,
            }
            print(json.dumps(summary), flush=True)

    factory = protocol.Factory.forProtocol(Echo)
    factory.noisy = False
    port = reactor.listenTCP(args.port, factory, interface="127.0.0.1")
    print("listening on %d" % port.getHost().port, flush=True)
    reactor.run()
    return 0


def run_client(args):
    from twisted.internet import protocol, reactor

    framing = args.framing
    rng = random.Random(args.seed)
    sizes = list(args.edge) + [random_size(rng, args.max_size) for _ in range(args.count)]
    messages = [random_message(rng, framing, size) for size in sizes]
    stream = b"".join(encode(framing, m) for m in messages)
    slices = random_slices(rng, stream)
    summary = {
        "ok": False,
        "framing": framing,
        "messages": len(messages),
        "bytes": sum(sizes),
        "largest": max(sizes),
        "slices": len(slices),
        "turns": 0,
        "received": 0,
        "error": None,
    }

    def fail(error):
        if summary["error"] is None:
            summary["error"] = error
        if reactor.running:
            reactor.stop()

    base = receiver_class(framing)

    class Checker(base):
        refused = None

        def connectionMade(self):
            self.transport.setTcpNoDelay(True)
            self.next = 0
            self.writeSome()

        def writeSome(self):
            # Write slices until a coin says to let the reactor turn (so the
            # slices written so far leave as their own segments).
            while self.next < len(slices):
                self.transport.write(slices[self.next])
                self.next += 1
                if rng.random() < 0.3:
                    summary["turns"] += 1
                    reactor.callLater(0, self.writeSome)
                    return

        def frameReceived(self, data):
            index = summary["received"]
            if index >= len(messages):
                return fail("unexpected frame %d (%d bytes)" % (index, len(data)))
            expected = messages[index]
            if data != expected:
                at = next(
                    (i for i, (a, b) in enumerate(zip(data, expected)) if a != b),
                    min(len(data), len(expected)),
                )
                return fail(
                    "frame %d differs: %d bytes received, %d expected, first "
                    "difference at byte %d" % (index, len(data), len(expected), at)
                )
            summary["received"] = index + 1
            if index + 1 == len(messages):
                summary["ok"] = True
                self.transport.loseConnection()

        def connectionLost(self, reason):
            if not summary["ok"]:
                fail(
                    "connection lost after %d of %d frames (refused: %s): %s"
                    % (
                        summary["received"],
                        len(messages),
                        self.refused,
                        reason.getErrorMessage(),
                    )
                )
            elif reactor.running:
                reactor.stop()

    class Factory(protocol.ClientFactory):
        noisy = False
        protocol = Checker

        def clientConnectionFailed(self, connector, reason):
            fail("connection failed: %s" % reason.getErrorMessage())

    reactor.connectTCP("127.0.0.1", args.port, Factory())
    reactor.callLater(args.timeout, fail, "timed out after %s s" % args.timeout)
    reactor.run()
    print(json.dumps(summary), flush=True)
    return 0 if summary["ok"] and summary["error"] is None else 1


def run_raw(args):
    for case in args.case:
        data = bytes.fromhex(case)
        received = bytearray()
        result = {"received": "", "eof": False, "reset": False}
        with socket.create_connection(("127.0.0.1", args.port), timeout=args.timeout) as sock:
            try:
                sock.sendall(data)
                while True:
                    chunk = sock.recv(65536)
                    if not chunk:
                        result["eof"] = True
                        break
                    received += chunk
            except ConnectionResetError:
                result["reset"] = True
            except socket.timeout:
                pass
        result["received"] = received.hex()
        print(json.dumps(result), flush=True)
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    framings = ["line", "netstring", "int32"]

    server = commands.add_parser("server")
    server.add_argument("framing", choices=framings)
    server.add_argument("--port", type=int, default=0)

    client = commands.add_parser("client")
    client.add_argument("framing", choices=framings)
    client.add_argument("--port", type=int, required=True)
    client.add_argument("--seed", type=int, default=1)
    client.add_argument("--count", type=int, default=2000)
    client.add_argument("--max-size", type=int, default=65536)
    client.add_argument("--edge", type=int, action="append", default=[])
    client.add_argument("--timeout", type=float, default=60)

    raw = commands.add_parser("raw")
    raw.add_argument("--port", type=int, required=True)
    raw.add_argument("--case", action="append", required=True)
    raw.add_argument("--timeout", type=float, default=10)

    args = parser.parse_args()
    run = {"server": run_server, "client": run_client, "raw": run_raw}[args.command]
    sys.exit(run(args))


if __name__ == "__main__":
    main()
