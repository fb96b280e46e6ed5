import type { Command } from 'commander';

// Placeholder until the contacts commands land.
export function registerContactsCommands(_program: Command): void {}
