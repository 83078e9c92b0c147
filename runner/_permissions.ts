// The permission flags a supervisor starts its workers with. Deno does not
// tell a process how it was started, so they are rebuilt from what
// `Deno.permissions.query` says: every permission granted in full is passed
// on (`-A` becomes `--allow-all`); of scoped grants (`--allow-net=HOST`),
// what serving needs: the listening addresses, reading the module's folder,
// importing from the module's host.

import { argument } from "../endpoints/_description.ts";
import { boundDescription } from "./_serve.ts";

const NAMES = [
  "read",
  "write",
  "net",
  "env",
  "sys",
  "run",
  "ffi",
  "import",
] as const;

async function granted(
  descriptor: Deno.PermissionDescriptor,
): Promise<boolean> {
  try {
    return (await Deno.permissions.query(descriptor)).state === "granted";
  } catch {
    // A permission this Deno does not know.
    return false;
  }
}

/**
 * The flags that give a worker the supervisor's permissions.
 *
 * @param module The module's URL.
 * @param descriptions The descriptions the workers listen on (tcp, tcp6,
 *   haproxy:tcp); empty when they come from the module's defaults.
 */
export async function workerPermissionFlags(
  module: string,
  descriptions: string[],
): Promise<string[]> {
  const full = new Set<string>();
  for (const name of NAMES) {
    if (await granted({ name } as Deno.PermissionDescriptor)) full.add(name);
  }
  if (full.size === NAMES.length) return ["--allow-all"];
  const flags = [...full].map((name) => `--allow-${name}`);
  if (!full.has("net")) {
    const hosts: string[] = [];
    for (const description of descriptions) {
      const host = listenHost(description);
      if (await granted({ name: "net", host })) hosts.push(host);
    }
    if (hosts.length > 0) flags.push(`--allow-net=${hosts.join(",")}`);
  }
  if (!full.has("read") && module.startsWith("file:")) {
    const folder = await readableFolder(new URL(module).pathname);
    if (folder !== null) flags.push(`--allow-read=${folder}`);
  }
  if (!full.has("import") && /^https?:/.test(module)) {
    const host = new URL(module).host;
    if (await granted({ name: "import", host })) {
      flags.push(`--allow-import=${host}`);
    }
  }
  return flags;
}

/** Whether this process may start deno itself. */
export function canStartWorkers(): Promise<boolean> {
  return granted({ name: "run", command: Deno.execPath() });
}

// `host:port` as --allow-net writes it, for a tcp, tcp6 or haproxy:tcp description.
function listenHost(description: string): string {
  const parsed = boundDescription(description);
  const ipv6 = parsed.kind === "tcp6";
  const hostname = parsed.kwargs.get("interface") ?? (ipv6 ? "::" : "0.0.0.0");
  const port = argument(parsed, "port");
  return hostname.includes(":")
    ? `[${hostname}]:${port}`
    : `${hostname}:${port}`;
}

// The widest folder above the module that may be read: the module's own
// imports are read from there too.
async function readableFolder(path: string): Promise<string | null> {
  let folder = decodeURIComponent(path.slice(0, path.lastIndexOf("/"))) || "/";
  if (!(await granted({ name: "read", path: folder }))) return null;
  while (folder !== "/") {
    const parent = folder.slice(0, folder.lastIndexOf("/")) || "/";
    if (!(await granted({ name: "read", path: parent }))) break;
    folder = parent;
  }
  return folder;
}
