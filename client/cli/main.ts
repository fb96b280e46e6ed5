// The consentflow CLI. Each room registers its own commands; this file only assembles them and turns
// errors into one clear line and a non-zero exit code.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { REPO_ROOT } from '../config';
import { registerDevCommands } from './dev';
import { registerDbCommands } from './db';
import { registerRulesCommands } from './rules';
import { registerContactsCommands } from './contacts';
import { registerFeedbackCommand } from './feedback';
import { registerAutomationCommands } from './automations';
import { registerServeCommand } from './serve';
import { registerSegmentsCommands } from './segments';
import { registerCampaignPreviewCommand } from './campaigns-preview';
import { campaignsGroup, registerCampaignCommands } from './campaigns';
import { CliError } from './errors';
import { installSignalHandling } from './signals';

const program = new Command('consentflow')
  .description('Consent-aware messaging automations on Temporal.')
  .version(packageVersion(), '-V, --version', 'print the version and exit')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

/** Help and --version end commander with exit code 0; every other commander error is bad input. */
const COMMANDER_OK = new Set(['commander.helpDisplayed', 'commander.version', 'commander.help']);

installSignalHandling();
// `consentflow contacts show … | head` closes the pipe early: that is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

registerDevCommands(program);
registerDbCommands(program);
registerRulesCommands(program);
registerContactsCommands(program);
registerFeedbackCommand(program);
registerAutomationCommands(program);
registerServeCommand(program);
registerSegmentsCommands(program);
// One `campaigns` group: preview (a dry run), then start, pause, resume, cancel and status.
registerCampaignPreviewCommand(campaignsGroup(program));
registerCampaignCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    process.exitCode = COMMANDER_OK.has(err.code) ? err.exitCode : 2;
  } else if (err instanceof CliError) {
    process.stderr.write(`consentflow: ${err.message}\n`);
    process.exitCode = err.exitCode;
  } else {
    const e = err as Error;
    process.stderr.write(`consentflow: ${e.message ?? String(err)}\n`);
    if (process.env.CONSENTFLOW_DEBUG) process.stderr.write(`${e.stack ?? ''}\n`);
    process.exitCode = 1;
  }
}
