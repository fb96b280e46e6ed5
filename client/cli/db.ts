import type { Command } from 'commander';

// Placeholder until the db commands land.
export function registerDbCommands(_program: Command): void {}
