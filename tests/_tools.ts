// Outside programs the tests run (haproxy, openssl, socat): whether one is
// installed, and HAProxy started with a test's configuration.

/** Whether `name` runs and exits 0 with `args` (false when it is not installed). */
export async function hasTool(name: string, args: string[]): Promise<boolean> {
  try {
    const { success } = await new Deno.Command(name, {
      args,
      stdout: "null",
      stderr: "null",
    }).output();
    return success;
  } catch {
    return false;
  }
}

/** A running `haproxy -db`. */
export interface HAProxy {
  /** True once the process has exited. */
  readonly exited: boolean;
  /** SIGTERM (unless it exited already), then its whole stdout and stderr. */
  stop(): Promise<[stdout: string, stderr: string]>;
}

/** Start HAProxy in the foreground with the configuration file `config`. */
export function startHAProxy(config: string): HAProxy {
  const child = new Deno.Command("haproxy", {
    args: ["-db", "-f", config],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let exited = false;
  const status = child.status.then(() => exited = true);
  const output = Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
  ]);
  return {
    get exited() {
      return exited;
    },
    async stop() {
      if (!exited) child.kill("SIGTERM");
      await status;
      return await output;
    },
  };
}

/**
 * `attempt()` again, every 20 ms, while it fails with ConnectionRefused (a
 * server still starting), unless `exited()` says the server is gone; gives
 * up after about 10 s.
 */
export async function whileRefused<T>(
  attempt: () => Promise<T>,
  exited: () => boolean,
): Promise<T> {
  for (let tries = 0;; tries++) {
    try {
      return await attempt();
    } catch (error) {
      if (
        !(error instanceof Deno.errors.ConnectionRefused) || exited() ||
        tries > 500
      ) {
        throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}
