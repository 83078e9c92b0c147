// UNIXServerEndpoint's edges: a stale socket file made in-process (bound,
// moved aside, closed), a path under a regular file, and the races of
// clearing a stale file (it vanishes between the checks, or the checks fail)
// and of applying the mode, provoked by wrapping the Deno calls involved.

import assert from "node:assert/strict";
import { Factory, listen, Protocol, UNIXServerEndpoint } from "../../mod.ts";

async function tempDir(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "torsion-unix-edge-" });
}

function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** A socket file at `path` that nobody listens on (its listener is gone). */
function makeStaleSocket(dir: string, path: string): void {
  const bound = `${dir}/bound.sock`;
  const listener = Deno.listen({ transport: "unix", path: bound });
  Deno.renameSync(bound, path); // Deno unlinks `bound` on close, not `path`
  listener.close();
  assert.ok(Deno.lstatSync(path).isSocket);
}

/** Run `fn` with `Deno[name]` replaced by `fake` (given the original). */
async function withDeno<K extends "connect" | "remove" | "chmod">(
  name: K,
  fake: (original: typeof Deno[K]) => typeof Deno[K],
  fn: () => Promise<void>,
): Promise<void> {
  const original = Deno[name];
  (Deno as Record<K, unknown>)[name] = fake(original);
  try {
    await fn();
  } finally {
    (Deno as Record<K, unknown>)[name] = original;
  }
}

const factory = (): Factory => Factory.forProtocol(Protocol);

Deno.test("unix: a stale socket file left by a listener in this process is replaced", async () => {
  const dir = await tempDir();
  try {
    const path = `${dir}/s.sock`;
    makeStaleSocket(dir, path);
    const port = await listen(`unix:${path}`, factory());
    const conn = await Deno.connect({ transport: "unix", path });
    conn.close();
    await port.close();
    assert.equal(exists(path), false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("unix: a path under a regular file is refused with the lstat error", async () => {
  const dir = await tempDir();
  try {
    await Deno.writeTextFile(`${dir}/file`, "not a directory");
    await assert.rejects(
      listen(`unix:${dir}/file/s.sock`, factory()),
      Deno.errors.NotADirectory,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("unix: a stale file removed by someone else between the checks is no obstacle", async () => {
  const dir = await tempDir();
  try {
    const path = `${dir}/s.sock`;
    makeStaleSocket(dir, path);
    // The probe finds the file gone: another process cleaned it up.
    await withDeno("connect", (original) =>
      ((options: Deno.ConnectOptions) => {
        if ((options as { transport?: string }).transport !== "unix") {
          return original(options);
        }
        Deno.removeSync(path);
        return Promise.reject(new Deno.errors.NotFound("gone"));
      }) as typeof Deno.connect, async () => {
      const port = await listen(`unix:${path}`, factory());
      assert.ok(Deno.lstatSync(path).isSocket);
      await port.close();
    });
    // The probe is refused, but the file is gone before we remove it.
    makeStaleSocket(dir, path);
    await withDeno(
      "remove",
      (original) =>
        ((p: string | URL, o?: Deno.RemoveOptions) => {
          if (p !== path) return original(p, o);
          Deno.removeSync(path);
          return Promise.reject(new Deno.errors.NotFound("gone"));
        }) as typeof Deno.remove,
      async () => {
        const port = await listen(`unix:${path}`, factory());
        assert.ok(Deno.lstatSync(path).isSocket);
        await port.close();
      },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("unix: other errors while clearing a stale file are passed on, and nothing is bound", async () => {
  const dir = await tempDir();
  try {
    const path = `${dir}/s.sock`;
    makeStaleSocket(dir, path);
    const denied = new Deno.errors.PermissionDenied("probe denied");
    await withDeno(
      "connect",
      (original) =>
        ((options: Deno.ConnectOptions) =>
          (options as { transport?: string }).transport === "unix"
            ? Promise.reject(denied)
            : original(options)) as typeof Deno.connect,
      async () => {
        await assert.rejects(
          listen(`unix:${path}`, factory()),
          (error) => error === denied,
        );
      },
    );
    assert.ok(Deno.lstatSync(path).isSocket, "the stale file is left alone");
    const busy = new Deno.errors.Busy("cannot remove");
    await withDeno(
      "remove",
      (original) =>
        ((p: string | URL, o?: Deno.RemoveOptions) =>
          p === path
            ? Promise.reject(busy)
            : original(p, o)) as typeof Deno.remove,
      async () => {
        await assert.rejects(
          listen(`unix:${path}`, factory()),
          (error) => error === busy,
        );
      },
    );
    assert.ok(Deno.lstatSync(path).isSocket);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("unix: when the mode cannot be applied the listener is closed and its file removed", async () => {
  const dir = await tempDir();
  try {
    const path = `${dir}/s.sock`;
    const failure = new Deno.errors.PermissionDenied("chmod denied");
    await withDeno(
      "chmod",
      () => (() => Promise.reject(failure)) as typeof Deno.chmod,
      async () => {
        await assert.rejects(
          new UNIXServerEndpoint({ path, mode: 0o600 }).listen(factory()),
          (error) => error === failure,
        );
      },
    );
    assert.equal(exists(path), false);
    // The path is free again.
    const port = await listen(`unix:${path}`, factory());
    await port.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
