// Out of file descriptors: a server started with `ulimit -n 64` fills its
// table with connections until accept fails (EMFILE); the accept loop backs
// off and retries, and once some connections close, new ones are served.

import assert from "node:assert/strict";
import {
  closeQuietly,
  connect,
  echo,
  heavyTest,
  startServer,
} from "./_helpers.ts";

const FD_LIMIT = 64;

function deadline<T>(
  promise: Promise<T>,
  ms: number,
  what: string,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out: ${what}`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

heavyTest(
  "the accept loop keeps working after running out of file descriptors (ulimit -n 64)",
  async () => {
    const server = await startServer("line", [], { fdLimit: FD_LIMIT });
    const served: Deno.TcpConn[] = [];
    const extra: Deno.TcpConn[] = [];
    try {
      const idle = await server.stats();
      let pending: Deno.TcpConn | null = null;
      let pendingReply: Promise<string | null> | null = null;
      for (let i = 0; i < 4 * FD_LIMIT; i++) {
        const conn = await connect(server.port); // the kernel completes it
        const errorsBefore = server.errors.length;
        const reply = echo(conn, `ping ${i}`);
        const first = await Promise.race([
          reply.then((text) => ({ text })),
          server.nextError(errorsBefore).then((error) => ({ error })),
        ]);
        if ("text" in first) {
          assert.equal(first.text, `ping ${i}`);
          served.push(conn);
          continue;
        }
        pending = conn; // queued in the kernel, not accepted
        pendingReply = reply;
        break;
      }
      assert.ok(
        pending !== null && pendingReply !== null,
        "never ran out of fds",
      );
      assert.match(server.errors[0], /too many open files|os error 24/i);
      const errorsWhileFull = server.errors.length;

      // Free ten descriptors: the backed-off accept loop picks up the
      // queued connection, and new ones are served.
      const freedAt = performance.now();
      for (const conn of served.splice(0, 10)) conn.close();
      assert.equal(
        await deadline(pendingReply, 15_000, "queued connection served"),
        `ping ${served.length + 10}`,
      );
      const recovery = performance.now() - freedAt;
      served.push(pending);
      for (let i = 0; i < 5; i++) {
        const conn = await connect(server.port);
        extra.push(conn);
        assert.equal(
          await deadline(
            echo(conn, `again ${i}`),
            15_000,
            "new connection served",
          ),
          `again ${i}`,
        );
      }
      // The connections served before are still fine.
      assert.equal(await echo(served[0], "still"), "still");
      console.log(
        `  EMFILE: ${idle.fds} fds at idle, limit ${FD_LIMIT}; ` +
          `${served.length - 1 + 10} connections served before accept failed ` +
          `(${
            server.errors[0].slice(6)
          }); ${errorsWhileFull} accept error(s) reported; ` +
          `queued connection served ${
            recovery.toFixed(0)
          } ms after 10 were closed`,
      );
    } finally {
      [...served, ...extra].forEach(closeQuietly);
      await server.stop();
    }
  },
);
