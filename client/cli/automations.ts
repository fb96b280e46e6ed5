import type { Command } from 'commander';

// Placeholder until the automations commands land.
export function registerAutomationCommands(_program: Command): void {}
