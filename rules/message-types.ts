// The message types of a rule set come from its message-types file, not from code: a marketer adds
// `{ "type": "newsletter", "follows": "campaign" }` and every matrix without a newsletter row uses its
// campaign row. Here: reading that file, and checking every other file's use of a type against it.
import type { LoadedFile, RuleProblem } from './load';
import type { MatrixFile, MessageTypesFile } from './rule-file';
import { suggest } from './problems';

export interface MessageTypesModel {
  /** Every type, in the order of the file. */
  types: readonly string[];
  transactional: ReadonlySet<string>;
  /** type -> the type whose matrix row it uses where a matrix has none of its own. */
  follows: ReadonlyMap<string, string>;
  file: string;
}

const FILE = 'message-types.json';

/** The types of the (single, valid) message-types file among `files`, or undefined when there is none. */
export function readMessageTypes(
  files: LoadedFile[],
  problems: RuleProblem[],
): MessageTypesModel | undefined {
  const found = files.filter((f) => f.kind === 'message-types');
  if (found.length !== 1) return undefined; // reported by the caller (missing, or two files)
  const { name, content } = found[0] as { name: string; content: MessageTypesFile };
  const types: string[] = [];
  const transactional = new Set<string>();
  const follows = new Map<string, string>();
  content.types.forEach((entry, i) => {
    if (types.includes(entry.type)) {
      problems.push({
        file: name,
        pointer: `/types/${i}/type`,
        message: `"${entry.type}" is listed twice`,
        hint: 'Keep one entry per message type.',
      });
      return;
    }
    types.push(entry.type);
    if (entry.transactional === true) transactional.add(entry.type);
  });
  const byType = new Map(content.types.map((e) => [e.type, e]));
  content.types.forEach((entry, i) => {
    if (entry.follows === undefined) return;
    const at = `/types/${i}/follows`;
    const target = byType.get(entry.follows);
    if (entry.follows === entry.type) {
      problems.push({
        file: name,
        pointer: at,
        message: `"${entry.type}" follows itself`,
        hint: 'Name the type whose matrix rows it should use, e.g. "campaign", or remove "follows".',
      });
    } else if (!target) {
      problems.push({
        file: name,
        pointer: at,
        message: `"${entry.follows}" is not a message type of this file`,
        hint: `Name one of the types listed here.${suggest(entry.follows, types)}`,
      });
    } else if (target.follows !== undefined) {
      problems.push({
        file: name,
        pointer: at,
        message: `"${entry.follows}" itself follows "${target.follows}"`,
        hint: `Write "follows": "${target.follows}" directly: a type follows a type with rows of its own.`,
      });
    } else follows.set(entry.type, entry.follows);
  });
  return { types, transactional, follows, file: name };
}

/** Matrix rows must name a listed type; reported even when other files have problems, as a typo is common. */
export function checkRowTypes(files: LoadedFile[], known: MessageTypesModel, problems: RuleProblem[]): void {
  for (const f of files) {
    if (f.kind !== 'matrix') continue;
    (f.content as MatrixFile).rows.forEach((row, i) => {
      if (known.types.includes(row.type)) return;
      problems.push({
        file: f.name,
        pointer: `/rows/${i}/type`,
        message: `"${row.type}" is not a message type of ${known.file === FILE ? FILE : `${known.file}`}`,
        hint: `Use one of ${known.types.join(', ')}.${suggest(row.type, known.types)} A new type is added to ${known.file} first (with "follows" to reuse another type's rows).`,
      });
    });
  }
}
