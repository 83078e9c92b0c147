/**
 * Test helpers for protocols built on torsion: an in-memory transport that
 * records writes, two protocols joined in memory, and a fake clock.
 *
 * @example Unit-testing a protocol with no socket and no real time
 * ```ts
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
 * console.log(transport.valueText()); // "hello\r\n"
 *
 * const clock = new Clock();
 * clock.callLater(1000, () => console.log("a second later"));
 * clock.advance(1000);
 * ```
 *
 * @module
 */

export * from "./clock.ts";
export * from "./connected_pair.ts";
export * from "./string_transport.ts";
