// Unix socket servers over real sockets: mode, stale files, live servers,
// paths that are not sockets, removal on close.

import assert from "node:assert/strict";
import { ConnectionDone, listen } from "../../mod.ts";
import { UNIXServerEndpoint } from "../../endpoints/unix_server_endpoint.ts";
import { decoder, encoder, ListFactory, readN, Recorder } from "../_net.ts";

class Echo extends Recorder {
  override dataReceived(data: Uint8Array): void {
    super.dataReceived(data);
    this.transport!.write(data);
  }
}

async function tempSocketPath(name = "s.sock"): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "torsion-unix-" });
  return `${dir}/${name}`;
}

async function removeDir(path: string): Promise<void> {
  await Deno.remove(path.slice(0, path.lastIndexOf("/")), { recursive: true });
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

async function echoOver(path: string, text: string): Promise<string> {
  const conn = await Deno.connect({ transport: "unix", path });
  try {
    await conn.write(encoder.encode(text));
    return decoder.decode(await readN(conn, encoder.encode(text).length));
  } finally {
    conn.close();
  }
}

// A socket file whose server died without removing it.
async function makeStaleSocket(path: string): Promise<void> {
  const { success } = await new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `Deno.listen({ transport: "unix", path: ${
        JSON.stringify(path)
      } }); Deno.exit(0);`,
    ],
    stdout: "null",
    stderr: "inherit",
  }).output();
  assert.ok(success);
  assert.ok(Deno.lstatSync(path).isSocket, "stale socket file left behind");
}

Deno.test("unix: serves a factory, reports addresses and description, removes the file on close", async () => {
  const path = await tempSocketPath();
  const factory = new ListFactory(() => new Echo());
  const port = await listen(`unix:${path}`, factory);
  assert.deepEqual(port.addr, { transport: "unix", path });
  assert.equal(port.description, `unix:${path}`);
  assert.ok(Deno.lstatSync(path).isSocket);
  assert.equal(await echoOver(path, "over unix"), "over unix");
  const protocol = await factory.nth(0);
  assert.deepEqual(protocol.transport!.getPeer(), {
    transport: "unix",
    path: "",
  });
  assert.deepEqual(protocol.transport!.getHost(), { transport: "unix", path });
  assert.ok((await protocol.lost.promise) instanceof ConnectionDone);
  await port.close();
  assert.equal(exists(path), false, "socket file removed");
  await removeDir(path);
});

Deno.test("unix: stopListening removes the file and leaves open connections working", async () => {
  const path = await tempSocketPath();
  const factory = new ListFactory(() => new Echo());
  const port = await listen(`unix:${path}`, factory);
  const conn = await Deno.connect({ transport: "unix", path });
  await conn.write(encoder.encode("a"));
  assert.equal(decoder.decode(await readN(conn, 1)), "a");
  await port.stopListening();
  assert.equal(exists(path), false);
  await conn.write(encoder.encode("b"));
  assert.equal(decoder.decode(await readN(conn, 1)), "b");
  conn.close();
  await port.close();
  await removeDir(path);
});

Deno.test("unix: mode= is applied to the socket file", async () => {
  for (const [mode, bits] of [["600", 0o600], ["660", 0o660]] as const) {
    const path = await tempSocketPath();
    const port = await listen(
      `unix:${path}:mode=${mode}`,
      new ListFactory(() => new Echo()),
    );
    assert.equal(Deno.lstatSync(path).mode! & 0o7777, bits, `mode=${mode}`);
    assert.equal(port.description, `unix:${path}:mode=${mode}`);
    await port.close();
    await removeDir(path);
  }
  const path = await tempSocketPath();
  const endpoint = new UNIXServerEndpoint({ path, mode: 0o640 });
  const port = await endpoint.listen(new ListFactory(() => new Echo()));
  assert.equal(Deno.lstatSync(path).mode! & 0o7777, 0o640);
  assert.equal(port.description, `unix:${path}`);
  await port.close();
  await removeDir(path);
});

Deno.test("unix: a stale socket file from a dead process is replaced", async () => {
  const path = await tempSocketPath();
  await makeStaleSocket(path);
  await using _port = await listen(
    `unix:${path}`,
    new ListFactory(() => new Echo()),
  );
  assert.equal(await echoOver(path, "fresh"), "fresh");
  await _port.close();
  await removeDir(path);
});

Deno.test("unix: a path a live server listens on is AddrInUse, and the live server keeps it", async () => {
  const path = await tempSocketPath();
  const live = await listen(`unix:${path}`, new ListFactory(() => new Echo()));
  await assert.rejects(
    listen(`unix:${path}`, new ListFactory(() => new Echo())),
    (error: unknown) => {
      assert.ok(error instanceof Deno.errors.AddrInUse, String(error));
      assert.equal(
        error.message,
        `Unix socket in use by a live server: ${path}`,
      );
      return true;
    },
  );
  assert.ok(Deno.lstatSync(path).isSocket);
  assert.equal(await echoOver(path, "still mine"), "still mine");
  await live.close();
  await removeDir(path);
});

Deno.test("unix: a path that is not a socket is refused and left alone", async () => {
  const path = await tempSocketPath("data.txt");
  await Deno.writeTextFile(path, "precious");
  const dirPath = `${path}.d`;
  await Deno.mkdir(dirPath);
  for (const target of [path, dirPath]) {
    await assert.rejects(
      listen(`unix:${target}`, new ListFactory(() => new Echo())),
      (error: unknown) => {
        assert.ok(error instanceof Deno.errors.AlreadyExists, String(error));
        assert.equal(
          error.message,
          `Unix socket path is taken by something that is not a socket: ${target}`,
        );
        return true;
      },
    );
  }
  assert.equal(await Deno.readTextFile(path), "precious");
  assert.ok(Deno.lstatSync(dirPath).isDirectory);
  await removeDir(path);
});
