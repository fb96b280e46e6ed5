// Finds or builds Temporal's Web UI server (temporalio/ui-server) for the production cluster: the dev server
// embeds the same UI, the production server serves none. Built by Go from its module into the gitignored
// .tools/bin like the server itself (scripts/temporal-server.ts), at the release Temporal CLI v1.5.1 embeds, so
// both UIs the project shows operators are the same. The module carries the built web assets (go:embed).
import path from 'node:path';
import { TOOLS_BIN } from './temporal-cli';
import { binaryVersion, buildTemporalBinaries } from './temporal-server';

export const TEMPORAL_UI_MODULE = 'github.com/temporalio/ui-server/v2';
/** What Temporal CLI v1.5.1 embeds (its go.mod requires ui-server/v2 v2.42.1). */
export const TEMPORAL_UI_VERSION = '2.42.1';
export const UI_BINARY_NAME = 'temporal-ui-server';

/** The UI server at the wanted version without building, or undefined. */
export function findTemporalUi(binDir = TOOLS_BIN): string | undefined {
  const binary = path.join(binDir, UI_BINARY_NAME);
  return binaryVersion(binary) === TEMPORAL_UI_VERSION ? binary : undefined;
}

/** Returns the UI server, building it when it is missing or at another version. */
export async function ensureTemporalUi(
  log: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
  binDir = TOOLS_BIN,
): Promise<string> {
  const found = findTemporalUi(binDir);
  if (found) return found;
  const { built, seconds } = await buildTemporalBinaries({
    name: 'Temporal Web UI server',
    announce:
      `Building the Temporal Web UI server v${TEMPORAL_UI_VERSION} from ${TEMPORAL_UI_MODULE} into ` +
      `${path.relative(process.cwd(), binDir) || binDir} (first run only)...`,
    binDir,
    packages: [
      {
        path: `${TEMPORAL_UI_MODULE}/cmd/server@v${TEMPORAL_UI_VERSION}`,
        from: 'server',
        to: UI_BINARY_NAME,
      },
    ],
    find: () => findTemporalUi(binDir),
    log,
  });
  log(`Built the Temporal Web UI server in ${seconds}s: ${built}`);
  return built;
}
