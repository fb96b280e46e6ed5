/** An error the CLI prints as one line (what, where, how to fix) and exits with `exitCode`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export interface NumberRule {
  /** What the number is, for the message: "rows per transaction". */
  what: string;
  min: number;
  max: number;
  /** Whole numbers only (default true). */
  integer?: boolean;
  /** A good value to show, e.g. 5000. */
  example: number;
  /** The lower bound itself is not allowed (a duration of 0 hours). */
  exclusiveMin?: boolean;
}

/**
 * The one parser of numeric flags: a commander argParser that refuses text, fractions where whole numbers
 * are needed, and values out of range, naming the flag, the value, what it means and a value that works.
 * Errors exit 2 (bad input).
 */
export function numberOption(flag: string, rule: NumberRule): (raw: string) => number {
  return (raw) => {
    const text = raw.trim();
    const n = /^[+-]?(\d+\.?\d*|\.\d+)$/.test(text) ? Number(text) : NaN;
    const integer = rule.integer ?? true;
    const kind = integer ? 'a whole number' : 'a number';
    const low = rule.exclusiveMin ? `more than ${rule.min}` : `from ${rule.min}`;
    const range = `${kind} ${low} to ${rule.max}`;
    if (Number.isNaN(n) || (integer && !Number.isInteger(n)) || n > rule.max) {
      throw new CliError(`${flag} "${raw}" is not ${range} (${rule.what}); e.g. ${flag} ${rule.example}`, 2);
    }
    if (n < rule.min || (rule.exclusiveMin && n === rule.min)) {
      throw new CliError(`${flag} "${raw}" must be ${low} (${rule.what}); e.g. ${flag} ${rule.example}`, 2);
    }
    return n;
  };
}
