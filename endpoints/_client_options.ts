// What the client endpoints share: the connect timeout's default and checks.

/** Seconds a connection attempt may take by default, as in Twisted. */
export const DEFAULT_TIMEOUT = 30;

/** A timeout in seconds: above 0, `Infinity` allowed. */
export function checkTimeout(seconds: number): number {
  if (typeof seconds !== "number" || !(seconds > 0)) {
    throw new RangeError(`Timeout must be above 0 seconds: ${seconds}`);
  }
  return seconds;
}

/** Close a connection, ignoring that it may be closed already. */
export function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // Already closed.
  }
}
