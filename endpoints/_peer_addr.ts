// The peer address of a connection as protocols see it. Deno reports an
// unnamed Unix peer socket (every client that did not bind a path) with a
// null path, which the Deno.Addr type does not allow: it becomes "".
export function peerAddr(conn: Deno.Conn): Deno.Addr {
  const addr = conn.remoteAddr;
  if (addr.transport === "unix" && addr.path === null) {
    return { transport: "unix", path: "" };
  }
  return addr;
}
