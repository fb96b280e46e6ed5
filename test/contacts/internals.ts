// What must never reach a user of the CLI or the library: JavaScript, Node and PostgreSQL internals.
export const INTERNALS =
  /Cannot read propert|is not a function|Invalid time value|ENOENT|EISDIR|EACCES|TypeError|RangeError|SyntaxError|\n\s+at |node:internal|Unexpected token|undefined \(reading|violates|relation "|duplicate key|\[object Object\]/;
