/**
 * Test helpers for protocols built on torsion (Twisted's `StringTransport`,
 * `iosim` and `task.Clock`): test a protocol with no socket and no real time.
 *
 * | helper | use it to |
 * | --- | --- |
 * | `StringTransport` | drive one protocol by hand: call its hooks, read what it wrote (`value()`, `valueText()`), check `disconnecting`, `producerState` |
 * | `connectedPair(server, client)` | join two protocols in memory; `pump()` / `flush()` move the bytes, closes reach both sides |
 * | `Clock` | a fake clock for every `{ clock }` option: `callLater`, `advance(ms)`, `now()` |
 *
 * @example Unit-testing a protocol with no socket and no real time
 * ```ts
 * import assert from "node:assert/strict";
 * import { Protocol } from "@torsion/protocols";
 * import { Clock, StringTransport } from "@torsion/protocols/testing";
 *
 * class Greeter extends Protocol {
 *   override connectionMade(): void {
 *     this.transport!.write("hello\r\n");
 *   }
 * }
 * const transport = new StringTransport();
 * new Greeter().makeConnection(transport);
 * assert.equal(transport.valueText(), "hello\r\n");
 *
 * const clock = new Clock();
 * let fired = false;
 * clock.callLater(1000, () => fired = true);
 * clock.advance(1000);
 * assert.equal(fired, true);
 * ```
 *
 * @example A client and a server talking in memory
 * ```ts
 * import assert from "node:assert/strict";
 * import { LineReceiver } from "@torsion/protocols";
 * import { connectedPair } from "@torsion/protocols/testing";
 *
 * class Answer extends LineReceiver {
 *   override lineReceived(line: string): void {
 *     this.sendLine(line === "How are you?" ? "Fine" : "I don't know what you mean");
 *   }
 * }
 * class Asker extends LineReceiver {
 *   answers: string[] = [];
 *   override connectionMade(): void {
 *     this.sendLine("How are you?");
 *   }
 *   override lineReceived(line: string): void {
 *     this.answers.push(line);
 *     this.transport!.loseConnection();
 *   }
 * }
 *
 * const pair = connectedPair(new Answer(), new Asker());
 * pair.flush();
 * assert.deepEqual(pair.client.answers, ["Fine"]);
 * ```
 *
 * @module
 */

export * from "./clock.ts";
export * from "./connected_pair.ts";
export * from "./string_transport.ts";
