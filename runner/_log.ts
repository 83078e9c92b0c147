// The runner's log: levels, text or JSON lines, and the `listening on` output.
//
// Text (the default): `listening on DESCRIPTION` on stdout, exactly as the
// examples print it (scripts wait for it), and every log event on stderr as
// `TIME LEVEL MESSAGE key=value ...` (an error's stack on the lines after).
// JSON: one object per line on stdout, `listening` included, so that a log
// collector reads a single stream: `{"time","level","msg",...fields}`.

/** The levels, least severe first. */
export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
/** A log level. */
export type LogLevel = typeof LOG_LEVELS[number];
/** The output formats. */
export const LOG_FORMATS = ["text", "json"] as const;
/** A log format. */
export type LogFormat = typeof LOG_FORMATS[number];

/** Extra fields of a log event. */
export type LogFields = Record<string, unknown>;

/** Options of `Logger`. */
export interface LoggerOptions {
  /** Default `text`. */
  format?: LogFormat;
  /** Events below this level are dropped. Default `info`. */
  level?: LogLevel;
  /** Fields added to every event (a worker's id and pid). */
  fields?: LogFields;
  /** Where stdout lines go. Default `console.log`. */
  stdout?: (line: string) => void;
  /** Where stderr lines go. Default `console.error`. */
  stderr?: (line: string) => void;
}

/** Writes the runner's events in the chosen format, above the chosen level. */
export class Logger {
  readonly format: LogFormat;
  readonly level: LogLevel;
  #rank: number;
  #fields: LogFields;
  #stdout: (line: string) => void;
  #stderr: (line: string) => void;

  constructor(options: LoggerOptions = {}) {
    this.format = options.format ?? "text";
    this.level = options.level ?? "info";
    this.#rank = LOG_LEVELS.indexOf(this.level);
    this.#fields = options.fields ?? {};
    this.#stdout = options.stdout ?? ((line) => console.log(line));
    this.#stderr = options.stderr ?? ((line) => console.error(line));
  }

  /** A logger writing the same way with more fields on every event. */
  child(fields: LogFields): Logger {
    return new Logger({
      format: this.format,
      level: this.level,
      fields: { ...this.#fields, ...fields },
      stdout: this.#stdout,
      stderr: this.#stderr,
    });
  }

  debug(msg: string, fields?: LogFields): void {
    this.log("debug", msg, fields);
  }

  info(msg: string, fields?: LogFields): void {
    this.log("info", msg, fields);
  }

  warn(msg: string, fields?: LogFields): void {
    this.log("warn", msg, fields);
  }

  error(msg: string, fields?: LogFields): void {
    this.log("error", msg, fields);
  }

  /** Whether events of `level` are written. */
  enabled(level: LogLevel): boolean {
    return LOG_LEVELS.indexOf(level) >= this.#rank;
  }

  log(level: LogLevel, msg: string, fields: LogFields = {}): void {
    if (!this.enabled(level)) return;
    const all = { ...this.#fields, ...fields };
    if (this.format === "json") this.#stdout(jsonLine(level, msg, all));
    else this.#stderr(textLine(level, msg, all));
  }

  /**
   * Report that `description` accepts connections. Always written, whatever
   * the level: scripts and supervisors wait for it.
   */
  listening(description: string, fields: LogFields = {}): void {
    if (this.format === "text") {
      this.#stdout(`listening on ${description}`);
      return;
    }
    this.#stdout(jsonLine("info", `listening on ${description}`, {
      ...this.#fields,
      event: "listening",
      description,
      ...fields,
    }));
  }
}

function jsonLine(level: LogLevel, msg: string, fields: LogFields): string {
  const record: LogFields = { time: new Date().toISOString(), level, msg };
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    if (value instanceof Error) {
      record[key] = String(value);
      if (value.stack) record[`${key}Stack`] = value.stack;
    } else {
      record[key] = value;
    }
  }
  return JSON.stringify(record);
}

function textLine(level: LogLevel, msg: string, fields: LogFields): string {
  let line = `${new Date().toISOString()} ${level.toUpperCase()} ${msg}`;
  let stack = "";
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    if (value instanceof Error) {
      line += ` ${key}=${quote(String(value))}`;
      // The first stack line repeats the message.
      const frames = value.stack?.split("\n").slice(1) ?? [];
      if (frames.length > 0) stack += `\n${frames.join("\n")}`;
    } else {
      line += ` ${key}=${quote(value)}`;
    }
  }
  return line + stack;
}

function quote(value: unknown): string {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return /^[^\s"=]+$/.test(text) ? text : JSON.stringify(text);
}
