// observePort: a port's live metrics through a (fake) OpenTelemetry meter.

import assert from "node:assert/strict";
import { Factory, listen, Protocol } from "../mod.ts";
import {
  observePort,
  type OtelAttributes,
  type OtelInstrumentOptions,
  type OtelMeter,
  type OtelObservable,
  type OtelObservableCallback,
} from "../otel.ts";
import { ProxyProtocolError } from "../endpoints/proxy_protocol_error.ts";
import { connectTo, encoder, portOf, readN, serve } from "./_net.ts";

interface Observation {
  name: string;
  value: number;
  attributes: OtelAttributes;
}

/** A meter that records its instruments and runs their callbacks on collect(). */
class FakeMeter implements OtelMeter {
  instruments: {
    name: string;
    kind: "counter" | "updown";
    options?: OtelInstrumentOptions;
    callbacks: Set<OtelObservableCallback>;
  }[] = [];

  createObservableCounter(
    name: string,
    options?: OtelInstrumentOptions,
  ): OtelObservable {
    return this.#instrument(name, "counter", options);
  }

  createObservableUpDownCounter(
    name: string,
    options?: OtelInstrumentOptions,
  ): OtelObservable {
    return this.#instrument(name, "updown", options);
  }

  #instrument(
    name: string,
    kind: "counter" | "updown",
    options?: OtelInstrumentOptions,
  ): OtelObservable {
    const callbacks = new Set<OtelObservableCallback>();
    this.instruments.push({ name, kind, options, callbacks });
    return {
      addCallback: (callback) => callbacks.add(callback),
      removeCallback: (callback) => callbacks.delete(callback),
    };
  }

  async collect(): Promise<Observation[]> {
    const out: Observation[] = [];
    for (const { name, callbacks } of this.instruments) {
      for (const callback of callbacks) {
        await callback({
          observe: (value, attributes = {}) =>
            out.push({ name, value, attributes }),
        });
      }
    }
    return out;
  }
}

/** The values by instrument name (and direction for io). */
function values(observations: Observation[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const { name, value, attributes } of observations) {
    const direction = attributes["network.io.direction"];
    out[direction ? `${name}.${direction}` : name] = value;
  }
  return out;
}

class Echo extends Protocol {
  override dataReceived(data: Uint8Array): void {
    this.transport!.write(data);
  }
}

Deno.test("otel: instruments, units and attributes", async () => {
  const meter = new FakeMeter();
  await using port = await serve(Factory.forProtocol(Echo));
  using _observation = observePort(port, {
    meter,
    attributes: { "service.role": "edge" },
  });
  assert.deepEqual(
    meter.instruments.map(({ name, kind, options }) => [
      name,
      kind,
      options?.unit,
    ]),
    [
      ["torsion.port.connections", "updown", "{connection}"],
      ["torsion.port.connections.accepted", "counter", "{connection}"],
      ["torsion.port.io", "counter", "By"],
      ["torsion.port.errors", "counter", "{error}"],
    ],
  );
  const observations = await meter.collect();
  assert.deepEqual(values(observations), {
    "torsion.port.connections": 0,
    "torsion.port.connections.accepted": 0,
    "torsion.port.io.receive": 0,
    "torsion.port.io.transmit": 0,
    "torsion.port.errors": 0,
  });
  assert.deepEqual(observations[0].attributes, {
    "network.transport": "tcp",
    "server.address": "127.0.0.1",
    "server.port": portOf(port),
    "torsion.port.description": port.description,
    "service.role": "edge",
  });
});

Deno.test("otel: the figures are read at each collection", async () => {
  const meter = new FakeMeter();
  const port = await serve(Factory.forProtocol(Echo));
  const observation = observePort(port, { meter });
  const client = await connectTo(port);
  await client.write(encoder.encode("hello"));
  await readN(client, 5);
  const during = values(await meter.collect());
  assert.equal(during["torsion.port.connections"], 1);
  assert.equal(during["torsion.port.connections.accepted"], 1);
  assert.equal(during["torsion.port.io.receive"], 5, "counted before echoed");
  client.close();
  await port.close();
  assert.deepEqual(values(await meter.collect()), {
    "torsion.port.connections": 0,
    "torsion.port.connections.accepted": 1,
    "torsion.port.io.receive": 5,
    "torsion.port.io.transmit": 5,
    "torsion.port.errors": 0,
  });
  observation.unobserve();
  assert.deepEqual(await meter.collect(), []);
  observation.unobserve(); // twice is harmless
});

Deno.test("otel: errors count failed PROXY headers; two ports on one meter", async () => {
  const meter = new FakeMeter();
  const failed = Promise.withResolvers<unknown>();
  await using proxied = await listen(
    "haproxy:tcp:0:interface=127.0.0.1",
    Factory.forProtocol(Echo),
    { onError: failed.resolve },
  );
  await using plain = await serve(Factory.forProtocol(Echo));
  using _a = observePort(proxied, { meter });
  using _b = observePort(plain, { meter });
  const client = await connectTo(proxied);
  await client.write(encoder.encode("nonsense\r\n"));
  assert.ok((await failed.promise) instanceof ProxyProtocolError);
  client.close();
  const errors = (await meter.collect())
    .filter((o) => o.name === "torsion.port.errors")
    .map((o) => [o.attributes["torsion.port.description"], o.value]);
  assert.deepEqual(errors, [
    [proxied.description, 1],
    [plain.description, 0],
  ]);
  assert.match(proxied.description, /^haproxy:tcp:\d+:interface=127\.0\.0\.1$/);
});

Deno.test("otel: a Unix port reports its path", async () => {
  const dir = await Deno.makeTempDir({ prefix: "torsion-otel-" });
  const meter = new FakeMeter();
  const port = await listen(`unix:${dir}/s.sock`, Factory.forProtocol(Echo));
  using _observation = observePort(port, { meter });
  const [first] = await meter.collect();
  assert.equal(first.attributes["network.transport"], "unix");
  assert.equal(first.attributes["server.address"], `${dir}/s.sock`);
  assert.equal(first.attributes["server.port"], undefined);
  await port.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("otel: a missing meter is a TypeError", async () => {
  await using port = await serve(Factory.forProtocol(Echo));
  for (const options of [undefined, {}, { meter: {} }, { meter: null }]) {
    assert.throws(
      () => observePort(port, options as never),
      {
        name: "TypeError",
        message: /^Missing OpenTelemetry meter: pass \{ meter \}/,
      },
    );
  }
});
