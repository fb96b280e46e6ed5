import type { Command } from 'commander';

// Placeholder until the rules commands land.
export function registerRulesCommands(_program: Command): void {}
