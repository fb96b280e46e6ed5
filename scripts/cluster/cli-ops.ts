// What the cluster needs done through the Temporal CLI once the server answers: health, the namespace, and the
// project's search attributes. The CLI is the tool operators use for the same steps on any other cluster, so
// these are the commands docs/deployment.md tells them to run.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { SEARCH_ATTRIBUTES, cliTypeOf } from '../../contracts/search-attributes';

const run = promisify(execFile);

export interface CliTarget {
  cli: string;
  address: string;
  namespace: string;
}

/** Runs the CLI; resolves with stdout, rejects with its first error line (never a stack). */
async function temporal(target: CliTarget, args: string[], timeoutMs = 15_000): Promise<string> {
  try {
    const { stdout } = await run(target.cli, [...args, '--address', target.address], { timeout: timeoutMs });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    const line = (e.stderr ?? '').split('\n').find((l) => l.trim()) ?? e.message.split('\n')[0];
    throw new Error(`temporal ${args.slice(0, 3).join(' ')}: ${line?.trim()}`);
  }
}

/** True once `temporal operator cluster health` says SERVING. */
export async function isServing(target: CliTarget): Promise<boolean> {
  try {
    const out = await temporal(target, ['operator', 'cluster', 'health'], 5_000);
    return /SERVING/.test(out) && !/NOT_SERVING/.test(out);
  } catch {
    return false;
  }
}

/** Creates the namespace unless it exists; true when it was created now. */
export async function ensureNamespace(target: CliTarget, retention: string): Promise<boolean> {
  try {
    await temporal(target, ['operator', 'namespace', 'describe', '--namespace', target.namespace]);
    return false;
  } catch {
    await temporal(target, [
      'operator',
      'namespace',
      'create',
      '--namespace',
      target.namespace,
      '--retention',
      retention,
    ]);
    return true;
  }
}

/** Custom search attributes of the namespace: name -> type as the CLI prints it (Keyword, KeywordList, ...). */
async function customSearchAttributes(target: CliTarget): Promise<Map<string, string>> {
  const out = await temporal(target, [
    'operator',
    'search-attribute',
    'list',
    '--namespace',
    target.namespace,
    '--output',
    'json',
  ]);
  const parsed = JSON.parse(out) as { customAttributes?: Record<string, string> };
  const found = new Map<string, string>();
  // The JSON names types like INDEXED_VALUE_TYPE_KEYWORD_LIST; compare on the same spelling as cliTypeOf.
  for (const [name, type] of Object.entries(parsed.customAttributes ?? {})) {
    found.set(
      name,
      type
        .replace(/^INDEXED_VALUE_TYPE_/, '')
        .replace(/_/g, '')
        .toLowerCase(),
    );
  }
  return found;
}

/**
 * Registers the search attributes the workflows set (contracts/search-attributes.ts) that the namespace lacks.
 * One registered under another type is an error: the workflows would fail to upsert it.
 */
export async function ensureSearchAttributes(target: CliTarget): Promise<string[]> {
  // A namespace created a moment ago is "not found" until the frontend's namespace cache refreshes.
  const present = await retrying(() => customSearchAttributes(target));
  const missing: string[] = [];
  for (const key of SEARCH_ATTRIBUTES) {
    const want = cliTypeOf(key);
    const have = present.get(key.name);
    if (have === undefined) missing.push(key.name);
    else if (have !== want.toLowerCase())
      throw new Error(
        `Search attribute ${key.name} exists in namespace ${target.namespace} as ${have}, but consentflow needs ${want}. ` +
          `Use another namespace (--namespace), or remove it: temporal operator search-attribute remove --name ${key.name}.`,
      );
  }
  if (missing.length) {
    const args = SEARCH_ATTRIBUTES.filter((k) => missing.includes(k.name)).flatMap((k) => [
      '--name',
      k.name,
      '--type',
      cliTypeOf(k),
    ]);
    await temporal(target, [
      'operator',
      'search-attribute',
      'create',
      '--namespace',
      target.namespace,
      ...args,
    ]);
  }
  return missing;
}

/**
 * Waits until a visibility query on every attribute is accepted: the frontend then knows them, and so will the
 * history service on its next namespace refresh (2 s by default), before any workflow of ours can start.
 */
export async function waitForSearchAttributes(target: CliTarget): Promise<void> {
  const query = SEARCH_ATTRIBUTES.map((k) => `${k.name} = "probe"`).join(' OR ');
  await retrying(() =>
    temporal(target, ['workflow', 'count', '--namespace', target.namespace, '--query', query]),
  );
}

/** Retries `task` every half second until it succeeds or `timeoutMs` passed; then throws its last error. */
async function retrying<T>(task: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await task();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}
