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
import { hasTool, startHAProxy, whileRefused } from "../_tools.ts";

const fixture = "tests/cli/fixtures/pid_protocol.ts";

const haveHAProxy = await hasTool("haproxy", ["-v"]);
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
    const haproxy = startHAProxy(`${dir}/haproxy.cfg`);
    try {
      // Every worker of both hosts answers, and each sees the real client.
      const all = new Set(pids.flat());
      const seen = new Set<number>();
      for (let i = 0; i < 400 && seen.size < all.size; i++) {
        // Connect through HAProxy, retrying while it is still starting.
        const { conn, pid, peer } = await whileRefused(
          () => greeting(frontend),
          () => haproxy.exited,
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
      await haproxy.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
