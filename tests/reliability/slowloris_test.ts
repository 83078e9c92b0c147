// 1,000 slowloris connections (one byte every 2 s) against a server with an
// idle timeout: a fresh client is still answered while they trickle, and
// once they fall silent the idle timeout closes every one of them.

import assert from "node:assert/strict";
import {
  closeQuietly,
  connect,
  echo,
  heavyTest,
  median,
  startServer,
} from "./_helpers.ts";

const CONNECTIONS = 1000;
const INTERVAL = 2000; // ms between two bytes of a slowloris peer
const IDLE_TIMEOUT = 3000; // ms, longer than INTERVAL: trickling keeps them open

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

heavyTest(
  "1,000 slowloris connections with an idle timeout: a fresh client is answered, the silent ones are closed",
  async () => {
    const server = await startServer("idle", [String(IDLE_TIMEOUT)]);
    const conns: Deno.TcpConn[] = [];
    let drip: ReturnType<typeof setInterval> | undefined;
    try {
      for (let i = 0; i < CONNECTIONS; i += 100) {
        conns.push(
          ...await Promise.all(
            Array.from({ length: 100 }, () => connect(server.port)),
          ),
        );
      }
      // Each watcher resolves when the server closes that connection.
      const closedAt: number[] = [];
      const watchers = conns.map(async (conn) => {
        const buffer = new Uint8Array(64);
        try {
          while ((await conn.read(buffer)) !== null) { /* no reply expected */ }
        } catch {
          // A reset: closed as well.
        }
        closedAt.push(performance.now());
      });
      const byte = new Uint8Array([0x78]); // "x": never a whole line
      const trickle = () => {
        for (const conn of conns) conn.write(byte).catch(() => {});
      };
      trickle();
      drip = setInterval(trickle, INTERVAL);
      await server.until((s) => s.open === CONNECTIONS);
      await sleep(INTERVAL + 500); // at least one more byte from each

      // A fresh client, while the 1,000 trickle: connect, one line, reply.
      const rtts: number[] = [];
      for (let i = 0; i < 20; i++) {
        const started = performance.now();
        const conn = await connect(server.port);
        assert.equal(await echo(conn, `fresh ${i}`), `fresh ${i}`);
        rtts.push(performance.now() - started);
        conn.close();
      }
      const closedEarly = closedAt.length;

      // Silence: the idle timeout closes them all.
      clearInterval(drip);
      drip = undefined;
      const silentAt = performance.now();
      const stats = await server.until((s) => s.open === 0, 30_000);
      await Promise.all(watchers);
      const lastClose = Math.max(...closedAt) - silentAt;
      console.log(
        `  slowloris x${CONNECTIONS}: fresh client round trip (connect + line) ` +
          `min ${Math.min(...rtts).toFixed(1)} ms, median ${
            median(rtts).toFixed(1)
          } ms, ` +
          `max ${
            Math.max(...rtts).toFixed(1)
          } ms; ${closedEarly} closed while trickling; ` +
          `all closed ${
            (lastClose / 1000).toFixed(2)
          } s after falling silent ` +
          `(idle timeout ${IDLE_TIMEOUT / 1000} s); server lost: ${
            JSON.stringify(stats.lost)
          }`,
      );
      assert.equal(rtts.length, 20);
      assert.equal(closedAt.length, CONNECTIONS);
      assert.equal(stats.total, CONNECTIONS + 20);
    } finally {
      if (drip !== undefined) clearInterval(drip);
      conns.forEach(closeQuietly);
      await server.stop();
    }
  },
);
