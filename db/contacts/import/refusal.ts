// A row the database refused, told in the import's words: the driver's text (constraint names, "duplicate
// key value violates...") means nothing to the person importing, so each kind gets what happened and what
// to do. The PostgreSQL code stays in the message for whoever has to look further.
export function describeDatabaseRefusal(err: unknown): string {
  const code = (err as { code?: string }).code;
  const tail = code ? ` (PostgreSQL ${code})` : '';
  switch (code) {
    case '23505':
      return `another write created the same contact at the same moment and kept winning; import this row again${tail}`;
    case '40P01':
    case '40001':
      return `it kept colliding with another write to the same contact; import this row again${tail}`;
    case '22001':
      return `a value is longer than the database allows; shorten it${tail}`;
    case '23514':
    case '23502':
    case '23503':
      return `a value breaks a rule of the contact store; check the row against docs/consent-model.md${tail}`;
    default:
      return code
        ? `the database refused it${tail}; import the row again, and report it if it keeps failing`
        : 'the database could not be reached while writing it; import the row again';
  }
}
