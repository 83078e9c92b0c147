/**
 * The seed tutorial's Answer: a `LineReceiver` that answers each line from a
 * table, or with a default answer.
 *
 * Run: `deno run --allow-net=127.0.0.1:8037 examples/answer.ts [DESCRIPTION ...]`
 * (default `tcp:8037:interface=127.0.0.1`). Talk to it: `nc -C 127.0.0.1 8037`
 * and type `How are you?`.
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
