/**
 * The seed tutorial's Answer: a `LineReceiver` that answers each line from a
 * table, or with a default answer. Shows line framing (`lineReceived`,
 * `sendLine`, CR LF delimiters).
 *
 * Run it (from the repository root; Ctrl+C stops it, exit status 0):
 *
 * ```sh
 * deno run --allow-net=127.0.0.1:8037 examples/answer.ts
 * # listening on tcp:8037:interface=127.0.0.1
 * ```
 *
 * Other endpoints: pass descriptions (`tcp:0:interface=127.0.0.1`) and
 * widen `--allow-net` to match.
 *
 * Talk to it (lines end with CR LF: `nc -C`, or socat's `crlf`), and type
 * `How are you?` (answer: `Fine`) or anything else:
 *
 * ```sh
 * nc -C 127.0.0.1 8037
 * socat - TCP:127.0.0.1:8037,crlf
 * ```
 *
 * @module
 */

import { Factory } from "../protocols/factory.ts";
import { LineReceiver } from "../protocols/line_receiver.ts";
import { serve } from "./_serve.ts";

/** The answers, by question. */
export const answers: ReadonlyMap<string, string> = new Map([
  ["How are you?", "Fine"],
]);

/** What is answered to anything else. */
export const defaultAnswer = "I don't know what you mean";

/** Answers each line from the table. */
export class Answer extends LineReceiver {
  /** Send the answer to `line`. */
  override lineReceived(line: string): void {
    this.sendLine(answers.get(line) ?? defaultAnswer);
  }
}

/** The answer service's factory. */
export const factory: Factory<Answer> = Factory.forProtocol(Answer);

/** Where the example listens by default. */
export const defaults: string[] = ["tcp:8037:interface=127.0.0.1"];

if (import.meta.main) await serve([{ factory, defaults }], Deno.args);
