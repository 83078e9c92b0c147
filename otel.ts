/**
 * OpenTelemetry for torsion's listening ports: `observePort` reports a
 * port's live `metrics` through a `Meter` you pass, such as the one
 * `npm:@opentelemetry/api` gives (`metrics.getMeter("my-service")`). Deno 2
 * exports those with its built-in exporter when run with `OTEL_DENO=true`.
 *
 * This module imports nothing: the meter is described by the few members it
 * uses, so torsion has no dependency on the OpenTelemetry packages and any
 * compatible meter works.
 *
 * Instruments (asynchronous, read when the exporter collects):
 *
 * | name | kind | unit | value |
 * | --- | --- | --- | --- |
 * | `torsion.port.connections` | up-down counter | `{connection}` | connections open now |
 * | `torsion.port.connections.accepted` | counter | `{connection}` | connections accepted since the port started |
 * | `torsion.port.io` | counter | `By` | bytes, with `network.io.direction` = `receive` or `transmit` |
 * | `torsion.port.errors` | counter | `{error}` | protocol hook exceptions, failed connection set-ups, accept errors |
 *
 * Each observation carries `torsion.port.description` (e.g.
 * `tcp:8007:interface=127.0.0.1`), `network.transport` (`tcp`, `unix`),
 * `server.address` and `server.port` (TCP) and the attributes you add.
 *
 * @example Exporting a server's figures
 * ```ts ignore
 * import { metrics } from "npm:@opentelemetry/api";
 * import { Factory, listen, Protocol } from "@torsion/protocols";
 * import { observePort } from "@torsion/protocols/otel";
 *
 * const port = await listen("tcp:8007", Factory.forProtocol(Protocol));
 * using _observation = observePort(port, { meter: metrics.getMeter("echo") });
 * await port.finished;
 * ```
 *
 * @module
 */

import type { ListeningPort } from "./endpoints/listening_port.ts";

/** Attributes of an observation (OpenTelemetry's `Attributes`). */
export type OtelAttributes = Record<string, string | number | boolean>;

/** What an observable callback reports to (OpenTelemetry's `ObservableResult`). */
export interface OtelObservableResult {
  /**
   * Report a value.
   *
   * @param value The value.
   * @param attributes Attributes of the value.
   */
  observe(value: number, attributes?: OtelAttributes): void;
}

/** A callback run at each collection (OpenTelemetry's `ObservableCallback`). */
export type OtelObservableCallback = (
  result: OtelObservableResult,
) => void | Promise<void>;

/** An asynchronous instrument (OpenTelemetry's `Observable`). */
export interface OtelObservable {
  /**
   * Run `callback` at each collection.
   *
   * @param callback Reports the current values.
   */
  addCallback(callback: OtelObservableCallback): void;
  /**
   * Stop running `callback`.
   *
   * @param callback A callback added before.
   */
  removeCallback(callback: OtelObservableCallback): void;
}

/** Options of an instrument (OpenTelemetry's `MetricOptions`). */
export interface OtelInstrumentOptions {
  /** What it measures. */
  description?: string;
  /** UCUM unit: `By`, `{connection}`. */
  unit?: string;
}

/** The part of an OpenTelemetry `Meter` that `observePort` uses. */
export interface OtelMeter {
  /**
   * A monotonic asynchronous counter.
   *
   * @param name The instrument's name.
   * @param options Description, unit, value type.
   * @returns The instrument.
   */
  createObservableCounter(
    name: string,
    options?: OtelInstrumentOptions,
  ): OtelObservable;
  /**
   * An asynchronous counter that may go down.
   *
   * @param name The instrument's name.
   * @param options Description, unit, value type.
   * @returns The instrument.
   */
  createObservableUpDownCounter(
    name: string,
    options?: OtelInstrumentOptions,
  ): OtelObservable;
}

/** Options of `observePort`. */
export interface ObservePortOptions {
  /** The meter to register the instruments with. */
  meter: OtelMeter;
  /** Attributes added to every observation (e.g. `{ "service.role": "edge" }`). */
  attributes?: OtelAttributes;
}

/** A port being reported; stop with `unobserve()` or `using`. */
export interface PortObservation extends Disposable {
  /** Remove the callbacks: the port is no longer reported. */
  unobserve(): void;
}

/**
 * Report a listening port's `metrics` through OpenTelemetry. The
 * instruments take the default value type (Deno's built-in meter supports
 * no other), though every figure is a whole number. The figures are
 * read when the meter collects, from the port's live `metrics` object; a
 * closed port keeps reporting its final figures until `unobserve()`.
 *
 * @param port The port to report.
 * @param options The `meter` (required) and extra attributes.
 * @returns A handle whose `unobserve()` (or `[Symbol.dispose]`) removes the
 *   callbacks.
 * @throws {TypeError} When `options.meter` is not a meter.
 *
 * @example With any meter-shaped object
 * ```ts
 * import assert from "node:assert/strict";
 * import { Factory, listen, Protocol } from "@torsion/protocols";
 * import { observePort, type OtelObservableCallback } from "@torsion/protocols/otel";
 *
 * const seen: string[] = [];
 * const instrument = (name: string) => ({
 *   addCallback: (callback: OtelObservableCallback) =>
 *     callback({ observe: (value) => seen.push(`${name}=${value}`) }),
 *   removeCallback: () => {},
 * });
 * const meter = {
 *   createObservableCounter: instrument,
 *   createObservableUpDownCounter: instrument,
 * };
 * const port = await listen("tcp:0:interface=127.0.0.1", Factory.forProtocol(Protocol));
 * using _observation = observePort(port, { meter });
 * assert.deepEqual(seen, [
 *   "torsion.port.connections=0",
 *   "torsion.port.connections.accepted=0",
 *   "torsion.port.io=0", // received
 *   "torsion.port.io=0", // sent
 *   "torsion.port.errors=0",
 * ]);
 * assert.throws(() => observePort(port, { meter: {} as never }), TypeError);
 * await port.close();
 * ```
 */
export function observePort(
  port: ListeningPort,
  options: ObservePortOptions,
): PortObservation {
  const meter = options?.meter;
  if (
    typeof meter?.createObservableCounter !== "function" ||
    typeof meter?.createObservableUpDownCounter !== "function"
  ) {
    throw new TypeError(
      "Missing OpenTelemetry meter: pass { meter } (e.g. metrics.getMeter(name) from npm:@opentelemetry/api)",
    );
  }
  const metrics = port.metrics;
  const attributes: OtelAttributes = {
    ...addressAttributes(port.addr),
    "torsion.port.description": port.description,
    ...options.attributes,
  };
  const registered: [OtelObservable, OtelObservableCallback][] = [];
  const register = (
    instrument: OtelObservable,
    callback: OtelObservableCallback,
  ): void => {
    instrument.addCallback(callback);
    registered.push([instrument, callback]);
  };
  register(
    meter.createObservableUpDownCounter("torsion.port.connections", {
      description: "Connections open on the listening port",
      unit: "{connection}",
    }),
    (result) => result.observe(metrics.connectionsOpen, attributes),
  );
  register(
    meter.createObservableCounter("torsion.port.connections.accepted", {
      description: "Connections accepted since the listening port started",
      unit: "{connection}",
    }),
    (result) => result.observe(metrics.connectionsTotal, attributes),
  );
  const receive = { ...attributes, "network.io.direction": "receive" };
  const transmit = { ...attributes, "network.io.direction": "transmit" };
  register(
    meter.createObservableCounter("torsion.port.io", {
      description: "Bytes read from and handed to the system for peers",
      unit: "By",
    }),
    (result) => {
      result.observe(metrics.bytesReceived, receive);
      result.observe(metrics.bytesSent, transmit);
    },
  );
  register(
    meter.createObservableCounter("torsion.port.errors", {
      description:
        "Protocol hook exceptions, failed connection set-ups (TLS handshakes, PROXY headers) and accept errors",
      unit: "{error}",
    }),
    (result) => result.observe(metrics.errors, attributes),
  );
  const unobserve = (): void => {
    for (const [instrument, callback] of registered.splice(0)) {
      instrument.removeCallback(callback);
    }
  };
  return { unobserve, [Symbol.dispose]: unobserve };
}

function addressAttributes(addr: Deno.Addr): OtelAttributes {
  switch (addr.transport) {
    case "tcp":
    case "udp":
      return {
        "network.transport": addr.transport,
        "server.address": addr.hostname,
        "server.port": addr.port,
      };
    case "unix":
    case "unixpacket":
      return { "network.transport": "unix", "server.address": addr.path };
    default:
      return { "network.transport": String(addr.transport) };
  }
}
