// 200 MiB without a newline to a LineReceiver: the line is refused at
// MAX_LENGTH, the connection closed, and the server's memory stays flat.

import assert from "node:assert/strict";
import {
  closeQuietly,
  connect,
  echo,
  heavyTest,
  mib,
  startServer,
} from "./_helpers.ts";

const MiB = 1024 * 1024;

heavyTest(
  "200 MiB without a newline to a LineReceiver: closed, server RSS grows under 64 MiB",
  async () => {
    const server = await startServer("line");
    try {
      // Warm up (code compiled, buffers allocated) before the baseline.
      const warm = await connect(server.port);
      for (let i = 0; i < 100; i++) {
        assert.equal(await echo(warm, `w${i}`), `w${i}`);
      }
      warm.close();
      await server.until((s) => s.open === 0);
      await server.gc();
      await server.resetPeak();
      const before = await server.stats();

      const conn = await connect(server.port);
      // The server's end of the stream (it closes after refusing the line).
      const end = (async () => {
        const buffer = new Uint8Array(1024);
        try {
          while ((await conn.read(buffer)) !== null) { /* nothing expected */ }
          return "end-of-stream";
        } catch (error) {
          return `error ${(error as Error).name}`;
        }
      })();
      const total = 200 * MiB;
      const chunk = new Uint8Array(MiB).fill(0x61); // "a", never "\n"
      const started = performance.now();
      let sent = 0;
      let writeError = "";
      try {
        while (sent < total) {
          sent += await conn.write(
            chunk.subarray(0, Math.min(MiB, total - sent)),
          );
        }
      } catch (error) {
        writeError = (error as Error).name; // the server closed its socket
      }
      const how = await end;
      const seconds = (performance.now() - started) / 1000;
      closeQuietly(conn);
      const after = await server.until((s) => s.open === 0);
      const growth = after.hwm - before.rss;
      console.log(
        `  200 MiB no-newline: client sent ${mib(sent)} MiB in ${
          seconds.toFixed(2)
        } s` +
          `${
            writeError ? ` (then ${writeError})` : ""
          }, saw ${how}; server RSS ` +
          `${mib(before.rss)} MiB -> peak ${mib(after.hwm)} MiB ` +
          `(growth ${mib(growth)} MiB), now ${mib(after.rss)} MiB`,
      );
      assert.equal(how, "end-of-stream"); // closed by the server, cleanly
      assert.equal(after.lost.ConnectionDone, 2); // the warm-up and this one
      assert.ok(growth < 64 * MiB, `RSS grew ${mib(growth)} MiB`);
    } finally {
      await server.stop();
    }
  },
);
