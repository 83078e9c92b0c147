// The server side of the reliability suite, run as its own process so that
// its memory and file descriptors can be measured apart from the clients.
//
//   deno run -A --v8-flags=--expose-gc tests/reliability/_server.ts MODE [TIMEOUT_MS]
//
// MODE: "line" (a LineReceiver echoing each line) or "idle" (the same behind
// a TimeoutFactory of TIMEOUT_MS). Prints `listening on DESCRIPTION`, then
// answers commands read from stdin, one per line:
//   stats       -> `stats {"rss":…,"hwm":…,"heapUsed":…,"external":…,"fds":…,
//                   "sockets":…,"open":…,"total":…,"lost":{…}}` (bytes, counts)
//   reset-peak  -> resets VmHWM (the peak RSS) to the current RSS; `ok`
//   gc          -> runs the garbage collector; `ok`
// Errors reported by the listening port are printed as `error NAME: MESSAGE`.

import {
  type ConnectionClosed,
  Factory,
  LineReceiver,
  listen,
} from "../../mod.ts";

const [mode = "line", timeoutArg = "3000"] = Deno.args;
const lost: Record<string, number> = {};

class Echo extends LineReceiver {
  override lineReceived(line: string): void {
    this.sendLine(line);
  }
  override connectionLost(reason: ConnectionClosed): void {
    lost[reason.name] = (lost[reason.name] ?? 0) + 1;
  }
}

let factory: Factory = Factory.forProtocol(Echo);
if (mode === "idle") {
  const { TimeoutFactory } = await import(
    "../../protocols/policies/timeout_factory.ts"
  );
  factory = new TimeoutFactory(factory, { timeout: Number(timeoutArg) });
} else if (mode !== "line") {
  console.error(`unknown mode: ${mode}`);
  Deno.exit(2);
}

const port = await listen("tcp:0:interface=127.0.0.1", factory, {
  onError(error) {
    const e = error as Error;
    console.log(`error ${e?.name}: ${e?.message}`);
  },
});
console.log(`listening on ${port.description}`);

function status(): Record<string, number> {
  const text = Deno.readTextFileSync("/proc/self/status");
  const kb = (key: string): number =>
    Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(text)?.[1] ?? NaN);
  const { heapUsed, external } = Deno.memoryUsage();
  return {
    rss: kb("VmRSS") * 1024,
    hwm: kb("VmHWM") * 1024,
    heapUsed,
    external,
  };
}

// Open descriptors, and how many are sockets (the directory being read is
// not counted).
function fds(): { fds: number; sockets: number } {
  let count = 0;
  let sockets = 0;
  for (const entry of Deno.readDirSync("/proc/self/fd")) {
    let target: string;
    try {
      target = Deno.readLinkSync(`/proc/self/fd/${entry.name}`);
    } catch {
      continue; // closed meanwhile: the directory itself, say
    }
    if (target.startsWith("/proc/")) continue;
    count++;
    if (target.startsWith("socket:")) sockets++;
  }
  return { fds: count, sockets };
}

Deno.addSignalListener("SIGTERM", () => Deno.exit(0));

const gc = (globalThis as { gc?: () => void }).gc;
let rest = "";
for await (
  const chunk of Deno.stdin.readable.pipeThrough(
    new TextDecoderStream(),
  )
) {
  rest += chunk;
  let newline: number;
  while ((newline = rest.indexOf("\n")) !== -1) {
    const command = rest.slice(0, newline).trim();
    rest = rest.slice(newline + 1);
    if (command === "stats") {
      let stats: Record<string, unknown>;
      try {
        // Out of file descriptors, /proc cannot be opened: say so, don't crash.
        stats = { ...status(), ...fds() };
      } catch (error) {
        stats = { rss: NaN, hwm: NaN, fds: NaN, failure: String(error) };
      }
      stats = {
        ...stats,
        open: port.connections,
        total: port.metrics.connectionsTotal,
        lost,
      };
      console.log(`stats ${JSON.stringify(stats)}`);
    } else if (command === "reset-peak") {
      Deno.writeTextFileSync("/proc/self/clear_refs", "5");
      console.log("ok");
    } else if (command === "gc") {
      // Twice, a turn apart: array buffers are freed after the first sweep.
      gc?.();
      await new Promise((resolve) => setTimeout(resolve, 10));
      gc?.();
      console.log("ok");
    }
  }
}
await port.close({ timeout: 1000 });
