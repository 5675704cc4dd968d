#!/usr/bin/env node
// The `skald` command: the built CLI (dist/cli/main.js) when the package is installed or built,
// else, in a checkout of the repository, its TypeScript source through @swc-node/register.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const built = join(__dirname, '..', 'dist', 'cli', 'main.js');
let cli;
if (existsSync(built)) {
  cli = require(built);
} else {
  require('@swc-node/register');
  cli = require(join(__dirname, '..', 'src', 'cli', 'main.ts'));
}
cli.runCli(process.argv.slice(2)).then((code) => process.exit(code));
