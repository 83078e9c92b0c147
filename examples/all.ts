/**
 * Every stream example at once, each on its default port (what `npm start`
 * and `deno task start` run): echo 8007, qotd 8017, counter 8027, answer
 * 8037, chat 8047, netstring_echo 8057, int32_echo 8067. One factory per
 * service, exported as `services` for the runner. Ctrl+C stops all of
 * them, exit status 0.
 *
 * Run it (from the repository root), directly or through the runner, which
 * serves a module's `services` export:
 *
 * ```sh
 * deno run --allow-net=127.0.0.1 examples/all.ts
 * deno run --allow-net=127.0.0.1 --allow-read=. cli.ts serve examples/all.ts
 * # listening on tcp:8007:interface=127.0.0.1
 * # listening on tcp:8017:interface=127.0.0.1
 * # ...
 * ```
 *
 * Talk to each as its own module docs say: `nc 127.0.0.1 8007` (echo),
 * `nc -d 127.0.0.1 8017` (qotd), `nc -C 127.0.0.1 8037` (answer), ...
 *
 * @module
 */

import { serve, type Service } from "./_serve.ts";
import * as answer from "./answer.ts";
import * as chat from "./chat.ts";
import * as counter from "./counter.ts";
import * as echo from "./echo.ts";
import * as int32Echo from "./int32_echo.ts";
import * as netstringEcho from "./netstring_echo.ts";
import * as qotd from "./qotd.ts";

/** Each example's factory with its default descriptions. */
export const services: Service[] = [
  echo,
  qotd,
  counter,
  answer,
  chat,
  netstringEcho,
  int32Echo,
];

if (import.meta.main) await serve(services, Deno.args);
