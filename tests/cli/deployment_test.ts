// The README's deployment guide, on loopback: a real HAProxy with the
// guide's haproxy.cfg (send-proxy-v2, health checks, redispatch, an admin
// socket) in front of two `cli.ts serve haproxy:tcp:PORT --workers 2`
// runners standing in for two hosts. Skipped when haproxy is not installed
// (`.ci/run` installs it).

import assert from "node:assert/strict";
import {
  freePort,
  greeting,
  listeningPort,
  type Runner,
  startRunner,
} from "./_cli.ts";

const fixture = "tests/cli/fixtures/pid_protocol.ts";

async function hasHAProxy(): Promise<boolean> {
  try {
    return (await new Deno.Command("haproxy", {
      args: ["-v"],
      stdout: "null",
      stderr: "null",
    }).output()).success;
  } catch {
    return false;
  }
}

const haveHAProxy = await hasHAProxy();
if (!haveHAProxy) {
  console.warn(
    "deployment_test: haproxy not found; skipping (apt-get install haproxy)",
  );
}

/** The guide's haproxy.cfg, with loopback addresses and a private admin socket. */
function haproxyConfig(
  options: { frontend: number; servers: number[]; adminSocket: string },
): string {
  return `global
    maxconn 1000
    stats socket ${options.adminSocket} mode 600 level admin

defaults
    mode tcp
    option dontlognull
    retries 3
    option redispatch
    timeout connect 5s
    timeout client 1h
    timeout server 1h
    timeout client-fin 30s
    timeout server-fin 30s

frontend echo
    bind 127.0.0.1:${options.frontend}
    default_backend echo_hosts

backend echo_hosts
    balance leastconn
    default-server send-proxy-v2 check inter 2s fall 3 rise 2
${
    options.servers.map((port, i) =>
      `    server app${i + 1} 127.0.0.1:${port}\n`
    ).join("")
  }`;
}

/** Connect through HAProxy, retrying while it is still starting (refused). */
async function greetingWhenUp(
  port: number,
  exited: () => boolean,
): ReturnType<typeof greeting> {
  for (let attempt = 0;; attempt++) {
    try {
      return await greeting(port);
    } catch (error) {
      if (
        !(error instanceof Deno.errors.ConnectionRefused) || exited() ||
        attempt > 500
      ) {
        throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

/** One command on HAProxy's admin socket; its answer. */
async function admin(socket: string, command: string): Promise<string> {
  const conn = await Deno.connect({ transport: "unix", path: socket });
  await conn.write(new TextEncoder().encode(`${command}\n`));
  const answer = await new Response(conn.readable).text();
  return answer.trim();
}

async function workerPids(runner: Runner): Promise<number[]> {
  const { input } = await runner.stderr.next(/INFO workers listening/);
  return JSON.parse(/pids=(\[.*\])/.exec(input)![1]);
}

Deno.test({
  name:
    "deployment: HAProxy with send-proxy-v2 in front of two --workers 2 hosts; draining one host",
  ignore: !haveHAProxy,
  async fn() {
    const ports = [freePort(), freePort()];
    const hosts = ports.map((port) =>
      startRunner([
        "serve",
        fixture,
        `haproxy:tcp:${port}:interface=127.0.0.1`,
        "--workers",
        "2",
      ])
    );
    for (const [i, host] of hosts.entries()) {
      assert.equal(await listeningPort(host), ports[i]);
    }
    const pids = await Promise.all(hosts.map(workerPids));
    const dir = await Deno.makeTempDir({ prefix: "torsion-deploy-" });
    const adminSocket = `${dir}/admin.sock`;
    const frontend = freePort();
    await Deno.writeTextFile(
      `${dir}/haproxy.cfg`,
      haproxyConfig({ frontend, servers: ports, adminSocket }),
    );
    const haproxy = new Deno.Command("haproxy", {
      args: ["-db", "-f", `${dir}/haproxy.cfg`],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    let exited = false;
    const status = haproxy.status.then((s) => {
      exited = true;
      return s;
    });
    const output = Promise.all([
      new Response(haproxy.stdout).text(),
      new Response(haproxy.stderr).text(),
    ]);
    try {
      // Every worker of both hosts answers, and each sees the real client.
      const all = new Set(pids.flat());
      const seen = new Set<number>();
      for (let i = 0; i < 400 && seen.size < all.size; i++) {
        const { conn, pid, peer } = await greetingWhenUp(
          frontend,
          () => exited,
        );
        const me = conn.localAddr as Deno.NetAddr;
        conn.close();
        assert.equal(peer, `${me.hostname}:${me.port}`);
        assert.ok(all.has(pid), `unknown pid ${pid}`);
        seen.add(pid);
      }
      assert.deepEqual(seen, all);

      // Drain host 1 (no new connections), then stop it: nothing is refused.
      assert.equal(
        await admin(adminSocket, "set server echo_hosts/app1 state maint"),
        "",
      );
      assert.equal(await hosts[0].stop("SIGTERM"), 0);
      for (let i = 0; i < 20; i++) {
        const { conn, pid } = await greeting(frontend);
        conn.close();
        assert.ok(pids[1].includes(pid), `pid ${pid} is not on host 2`);
      }
      assert.equal(await hosts[1].stop("SIGTERM"), 0);
    } finally {
      for (const host of hosts) await host.stop("SIGTERM");
      if (!exited) haproxy.kill("SIGTERM");
      await status;
      await output;
      await Deno.remove(dir, { recursive: true });
    }
  },
});
