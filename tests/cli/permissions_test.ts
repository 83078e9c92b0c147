// The permission flags a supervisor passes to its workers
// (runner/_permissions.ts), rebuilt from what the process was granted. Each
// case runs a probe in a child Deno started with exactly the permissions
// under test, since a process cannot drop its own.

import assert from "node:assert/strict";

const probe = new URL("./fixtures/permissions_probe.ts", import.meta.url)
  .pathname;
const root = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");

interface Probe {
  flags: string[];
  canStartWorkers: boolean;
}

/** Run the probe with `permissions`; it answers for `module` and `descriptions`. */
async function flagsUnder(
  permissions: string[],
  module: string,
  descriptions: string[],
): Promise<Probe> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      // The probe must read itself and the runner; --allow-all covers that.
      ...(permissions.includes("--allow-all") ? [] : [`--allow-read=${root}`]),
      ...permissions,
      probe,
      module,
      ...descriptions,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
    signal: AbortSignal.timeout(30_000),
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.ok(out.success, `probe failed: ${stderr}`);
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

const moduleUrl = new URL("../../examples/echo.ts", import.meta.url).href;

Deno.test("worker permissions: everything granted is passed as --allow-all", async () => {
  const { flags, canStartWorkers } = await flagsUnder(
    ["--allow-all"],
    moduleUrl,
    ["tcp:8007"],
  );
  assert.deepEqual(flags, ["--allow-all"]);
  assert.equal(canStartWorkers, true);
});

Deno.test("worker permissions: a scoped --allow-net keeps only the listening addresses it covers", async () => {
  const { flags, canStartWorkers } = await flagsUnder(
    ["--allow-net=127.0.0.1:8007,[::1]:8017"],
    moduleUrl,
    [
      "tcp:8007:interface=127.0.0.1",
      "tcp6:8017:interface=\\:\\:1",
      "tcp:9999:interface=127.0.0.1", // not granted: left out
    ],
  );
  assert.ok(
    flags.includes("--allow-net=127.0.0.1:8007,[::1]:8017"),
    `${flags}`,
  );
  // The module's folder, and every folder above it that may be read.
  assert.ok(flags.includes(`--allow-read=${root}`), `${flags}`);
  assert.equal(canStartWorkers, false, "no --allow-run");
});

Deno.test("worker permissions: haproxy:tcp listens on the address inside it; no interface means all", async () => {
  const { flags } = await flagsUnder(
    ["--allow-net=0.0.0.0:8027", "--allow-env"],
    moduleUrl,
    ["haproxy:tcp:8027"],
  );
  assert.ok(flags.includes("--allow-env"), `${flags}`);
  assert.ok(flags.includes("--allow-net=0.0.0.0:8027"), `${flags}`);
});

Deno.test("worker permissions: nothing readable above the module: no --allow-read", async () => {
  const { flags } = await flagsUnder(
    [],
    "file:///nowhere/at/all/mod.ts",
    ["tcp:8007"],
  );
  assert.ok(!flags.some((f) => f.startsWith("--allow-read")), `${flags}`);
  assert.ok(!flags.some((f) => f.startsWith("--allow-net")), `${flags}`);
});

Deno.test("worker permissions: a remote module keeps the import host it was granted", async () => {
  const granted = await flagsUnder(
    ["--allow-import=example.com"],
    "https://example.com/echo.ts",
    [],
  );
  assert.ok(granted.flags.includes("--allow-import=example.com"));
  assert.ok(!granted.flags.some((f) => f.startsWith("--allow-read")));
  const other = await flagsUnder(
    ["--allow-import=example.com"],
    "https://example.org/echo.ts",
    [],
  );
  assert.ok(!other.flags.some((f) => f.startsWith("--allow-import")));
});

Deno.test("worker permissions: --allow-run for deno itself lets the supervisor start workers", async () => {
  const { canStartWorkers } = await flagsUnder(
    [`--allow-run=${Deno.execPath()}`],
    moduleUrl,
    [],
  );
  assert.equal(canStartWorkers, true);
});
