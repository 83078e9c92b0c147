/**
 * Every example at once, each on its default port (what `npm start` and
 * `deno task start` run): echo 8007, qotd 8017, counter 8027. Ctrl+C stops.
 *
 * Run: `deno run --allow-net=127.0.0.1 examples/all.ts`
 *
 * @module
 */

import { serve } from "./_serve.ts";
import * as counter from "./counter.ts";
import * as echo from "./echo.ts";
import * as qotd from "./qotd.ts";

if (import.meta.main) await serve([echo, qotd, counter]);
