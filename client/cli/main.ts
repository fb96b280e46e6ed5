// The consentflow CLI. Each room registers its own commands; this file only assembles them and turns
// errors into one clear line and a non-zero exit code.
import { Command, CommanderError } from 'commander';
import { registerDevCommands } from './dev';
import { registerDbCommands } from './db';
import { registerRulesCommands } from './rules';
import { registerContactsCommands } from './contacts';
import { registerFeedbackCommand } from './feedback';
import { registerAutomationCommands } from './automations';
import { CliError } from './errors';
import { installSignalHandling } from './signals';

const program = new Command('consentflow')
  .description('Consent-aware messaging automations on Temporal.')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

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

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode;
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
