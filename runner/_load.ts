// Loading the module `cli.ts serve MODULE` names, and finding its factories.

import { Factory } from "../protocols/factory.ts";
import type { Protocol } from "../protocols/protocol.ts";

/** A factory and where to serve it when no description is given. */
export interface Service {
  factory: Factory;
  defaults?: string[];
}

/** A module that cannot be loaded or serves nothing: exit code 3. */
export class ModuleError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ModuleError";
  }
}

/**
 * The URL of a module given on the command line: URLs (`file:`, `https:`,
 * `jsr:`, `npm:`) as they are, paths against the working directory.
 */
export function moduleUrl(specifier: string): string {
  const windowsPath = /^[a-zA-Z]:[\\/]/.test(specifier);
  if (!windowsPath && /^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(specifier)) {
    return specifier;
  }
  const cwd = Deno.cwd().replaceAll("\\", "/");
  let path = specifier.replaceAll("\\", "/");
  if (!path.startsWith("/") && !windowsPath) path = `${cwd}/${path}`;
  const url = new URL("file:///");
  // The setter percent-encodes what a path may hold and a URL may not.
  url.pathname = windowsPath ? `/${path}` : path;
  return url.href;
}

/**
 * Import `specifier` and collect what it serves.
 *
 * @throws {ModuleError} When it cannot be imported or exports no factory.
 */
export async function loadServices(specifier: string): Promise<Service[]> {
  let exports: Record<string, unknown>;
  try {
    exports = await import(moduleUrl(specifier));
  } catch (error) {
    throw new ModuleError(
      `Cannot load module: ${specifier}: ${reason(error)}`,
      { cause: error },
    );
  }
  return servicesOf(exports, specifier);
}

/**
 * The services of a module's exports: `services`, else `factory` (with
 * `defaults`), else a `Protocol` subclass as the default export.
 *
 * @throws {ModuleError} When none of them is there or one is malformed.
 */
export function servicesOf(
  exports: Record<string, unknown>,
  name: string,
): Service[] {
  if ("services" in exports) {
    const services = exports.services;
    if (!Array.isArray(services) || services.length === 0) {
      throw new ModuleError(
        `Module export services is not a non-empty array: ${name}`,
      );
    }
    return services.map((service, i) => {
      const where = `services[${i}]`;
      if (typeof service !== "object" || service === null) {
        throw new ModuleError(
          `Module export ${where} is not an object: ${name}`,
        );
      }
      const { factory, defaults } = service as Record<string, unknown>;
      return checkService(factory, defaults, where, name);
    });
  }
  if ("factory" in exports) {
    return [checkService(exports.factory, exports.defaults, "", name)];
  }
  const protocol = exports.default;
  if (isProtocolClass(protocol)) {
    return [{
      factory: Factory.forProtocol(protocol),
      defaults: checkDefaults(exports.defaults, "", name),
    }];
  }
  throw new ModuleError(
    `Module exports no factory: ${name} (expected an export named factory, ` +
      `a Protocol subclass as the default export, or services)`,
  );
}

function checkService(
  factory: unknown,
  defaults: unknown,
  where: string,
  name: string,
): Service {
  if (!isFactory(factory)) {
    throw new ModuleError(
      `Module export ${
        where ? `${where}.` : ""
      }factory is not a Factory: ${name}`,
    );
  }
  return { factory, defaults: checkDefaults(defaults, where, name) };
}

function checkDefaults(
  defaults: unknown,
  where: string,
  name: string,
): string[] | undefined {
  if (defaults === undefined) return undefined;
  if (
    !Array.isArray(defaults) || !defaults.every((d) => typeof d === "string")
  ) {
    throw new ModuleError(
      `Module export ${
        where ? `${where}.` : ""
      }defaults is not an array of descriptions: ${name}`,
    );
  }
  return defaults;
}

// Duck-typed rather than `instanceof`: the module may import torsion from
// another copy (a path, another version) than the runner's.
function isFactory(value: unknown): value is Factory {
  if (typeof value !== "object" || value === null) return false;
  const factory = value as Record<string, unknown>;
  return typeof factory.buildProtocol === "function" &&
    typeof factory.doStart === "function" &&
    typeof factory.doStop === "function";
}

function isProtocolClass(value: unknown): value is new () => Protocol {
  if (typeof value !== "function") return false;
  const prototype = value.prototype as Record<string, unknown> | undefined;
  return typeof prototype?.makeConnection === "function" &&
    typeof prototype?.dataReceived === "function";
}

/** An error's message, or its text. */
export function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
