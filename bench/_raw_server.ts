// What the hand-written baseline servers share: listening on 127.0.0.1,
// printing where (`listening on tcp:PORT:interface=127.0.0.1`, what the
// benchmarks wait for), stopping on SIGTERM/SIGINT, and handing each
// connection, TCP_NODELAY on, to a loop of their own.

/** Serve every connection accepted on 127.0.0.1:`port` with `loop`. */
export async function serveRaw(
  port: number,
  loop: (conn: Deno.Conn) => Promise<void>,
): Promise<void> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port });
  const addr = listener.addr as Deno.NetAddr;
  console.log(`listening on tcp:${addr.port}:interface=${addr.hostname}`);
  const stop = (): void => {
    try {
      listener.close();
    } catch {
      // Already closed.
    }
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGTERM", stop);
  Deno.addSignalListener("SIGINT", stop);
  for await (const conn of listener) {
    conn.setNoDelay(true);
    loop(conn);
  }
}

/** Close a connection that may be closed already. */
export function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // Already closed.
  }
}
