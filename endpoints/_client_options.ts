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

/** Check a TCP destination: a non-empty host name and a port in 1-65535. */
export function checkDestination(
  options: { hostname: string; port: number },
): void {
  if (typeof options.hostname !== "string" || options.hostname === "") {
    throw new TypeError(`Invalid host name: ${options.hostname}`);
  }
  if (
    !Number.isInteger(options.port) || options.port < 1 || options.port > 65535
  ) {
    throw new RangeError(`Port out of range: ${options.port}`);
  }
}
