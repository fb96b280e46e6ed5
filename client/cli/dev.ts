import type { Command } from 'commander';

// Placeholder until the dev commands land.
export function registerDevCommands(_program: Command): void {}
