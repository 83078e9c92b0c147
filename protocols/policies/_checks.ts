// Argument checks shared by the policies.

/** A timeout in ms: a finite number, not negative. */
export function checkTimeout(ms: number, what = "Timeout"): void {
  if (typeof ms !== "number") {
    throw new TypeError(`${what} must be a number of milliseconds: ${ms}`);
  }
  if (!(ms >= 0) || !Number.isFinite(ms)) {
    throw new RangeError(
      `${what} must be a finite, non-negative number of milliseconds: ${ms}`,
    );
  }
}

/** A count or a rate: a finite number, above zero unless `zero` is allowed. */
export function checkPositive(value: number, what: string, zero = false): void {
  if (typeof value !== "number") {
    throw new TypeError(`${what} must be a number: ${value}`);
  }
  if (!Number.isFinite(value) || value < 0 || (!zero && value === 0)) {
    throw new RangeError(
      `${what} must be a finite number ${
        zero ? "not below" : "above"
      } 0: ${value}`,
    );
  }
}
