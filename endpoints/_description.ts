// Twisted's endpoint description syntax: `kind:arg:key=value`, `:` separated,
// `\:` (and `\\`) escaped, positional arguments before or among keywords.

export interface Description {
  /** The text it was parsed from. */
  text: string;
  /** The kind, lower-cased: `tcp`, `tls`, `unix`, ... */
  kind: string;
  /** Positional arguments, in order. */
  args: string[];
  /** Keyword arguments. */
  kwargs: Map<string, string>;
}

export function parseDescription(text: string): Description {
  if (typeof text !== "string" || text.trim() === "") {
    throw new TypeError(
      `Invalid endpoint description: ${JSON.stringify(text)}`,
    );
  }
  const [head, ...rest] = splitRaw(text);
  const kind = head.value.toLowerCase();
  const args: string[] = [];
  const kwargs = new Map<string, string>();
  for (const part of rest) {
    const eq = part.raw.indexOf("=");
    if (eq === -1) {
      args.push(part.value);
    } else {
      const key = unescape(part.raw.slice(0, eq));
      if (kwargs.has(key)) {
        throw new TypeError(
          `Duplicate option in endpoint description: ${key} in ${text}`,
        );
      }
      kwargs.set(key, unescape(part.raw.slice(eq + 1)));
    }
  }
  return { text, kind, args, kwargs };
}

/** The `:`-separated parts of a description, as written and unescaped. */
export function splitRaw(text: string): { raw: string; value: string }[] {
  const parts: { raw: string; value: string }[] = [];
  let start = 0;
  for (let i = 0; i <= text.length; i++) {
    if (text[i] === "\\") {
      i++;
    } else if (i === text.length || text[i] === ":") {
      const raw = text.slice(start, i);
      parts.push({ raw, value: unescape(raw) });
      start = i + 1;
    }
  }
  return parts;
}

function unescape(raw: string): string {
  return raw.replace(/\\(.)/g, "$1");
}

/** The text of a description with `:` and `\` escaped again. */
export function escapeValue(value: string): string {
  return value.replace(/[\\:]/g, (c) => `\\${c}`);
}

export function parsePort(value: string | undefined, text: string): number {
  if (
    value === undefined || !/^\d{1,5}$/.test(value) || Number(value) > 65535
  ) {
    throw new TypeError(
      `Invalid port in endpoint description: ${
        value || "(missing)"
      } in ${text}`,
    );
  }
  return Number(value);
}

/** Reject keyword arguments a kind does not know. */
export function checkKeys(
  description: Description,
  known: readonly string[],
): void {
  for (const key of description.kwargs.keys()) {
    if (!known.includes(key)) {
      throw new TypeError(
        `Unknown option in endpoint description: ${key} in ${description.text} (known: ${
          known.join(", ")
        })`,
      );
    }
  }
}

/**
 * The description text with its port (positional or `port=`) replaced, for
 * reporting where a `:0` description really listens.
 */
export function withPort(text: string, port: number): string {
  const parts = splitRaw(text).map((part) => part.raw);
  const keyed = parts.findIndex((raw, i) => i > 0 && raw.startsWith("port="));
  if (keyed !== -1) parts[keyed] = `port=${port}`;
  else {
    const positional = parts.findIndex((raw, i) => i > 0 && !raw.includes("="));
    if (positional !== -1) parts[positional] = String(port);
  }
  return parts.join(":");
}

/**
 * The one positional argument of a kind (a port, a path), or the same given
 * as `key=`; a second positional argument, or both forms, is an error.
 */
export function argument(
  description: Description,
  key: string,
): string | undefined {
  const { args, kwargs, text } = description;
  const keyed = kwargs.get(key);
  const unexpected = keyed !== undefined ? args[0] : args[1];
  if (unexpected !== undefined) {
    throw new TypeError(
      `Unexpected argument in endpoint description: ${unexpected} in ${text}`,
    );
  }
  return keyed ?? args[0];
}

/** A keyword argument that may be absent but not empty (`interface=`). */
export function option(
  description: Description,
  key: string,
): string | undefined {
  const value = description.kwargs.get(key);
  if (value === "") {
    throw new TypeError(
      `Empty option in endpoint description: ${key} in ${description.text}`,
    );
  }
  return value;
}

/** A whole number option in `[min, max]`, written in decimal digits. */
export function parseInteger(
  value: string,
  key: string,
  text: string,
  range: { min: number; max: number },
): number {
  const number = /^\d{1,10}$/.test(value) ? Number(value) : NaN;
  if (!(number >= range.min && number <= range.max)) {
    throw new TypeError(
      `Invalid ${key} in endpoint description: ${value} in ${text} (expected ${range.min}-${range.max})`,
    );
  }
  return number;
}

/** A file mode in octal, as `chmod` takes it: `660`, `0660`, `0o660`. */
export function parseMode(value: string, text: string): number {
  const match = /^(?:0o)?([0-7]{1,4})$/i.exec(value);
  if (match === null) {
    throw new TypeError(
      `Invalid mode in endpoint description: ${value} in ${text} (expected octal, e.g. 660)`,
    );
  }
  return parseInt(match[1], 8);
}

/** A comma-separated list of non-empty items (`alpn=h2,http/1.1`). */
export function parseList(value: string, key: string, text: string): string[] {
  const items = value.split(",");
  if (items.some((item) => item === "")) {
    throw new TypeError(
      `Invalid ${key} in endpoint description: ${value} in ${text} (empty item)`,
    );
  }
  return items;
}
