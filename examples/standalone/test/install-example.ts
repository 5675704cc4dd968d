// Builds the packages' tarballs (npm pack) and installs them, with kafkajs and pg from the
// registry, into a copy of the example in a temporary directory, as a team outside this
// repository would; then compiles the copy with its own TypeScript.
import { cpSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, runToEnd } from '@skald/testing';

/** Every published package, in the order `npm pack` builds them. */
export const PACKAGES = [
  'libs/protocol',
  'libs/saga',
  'libs/two-phase',
  'libs/participant',
  'libs/conformance',
  'libs/persistence',
  'apps/orchestrator',
];

export interface Tarball {
  name: string;
  filename: string;
  size: number;
}

/** The environment of a child npm: nothing of the `npm test` that runs this file leaks into it. */
function npmEnv(dir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    const fromParentNpm = /^npm_/i.test(key) && !/registry|proxy|cafile|strict_ssl/i.test(key);
    if (!fromParentNpm) env[key] = value;
  }
  // no cache outside the temporary directory
  return { ...env, npm_config_cache: join(dir, 'npm-cache'), npm_config_update_notifier: 'false' };
}

/** Runs a command; rejects with its output when it fails. */
const run = (command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv) =>
  runToEnd(command, args, { cwd, env });

/** `npm pack` of every package (its prepack builds it) into `<dir>/tarballs`. */
export async function packPackages(dir: string): Promise<Tarball[]> {
  const destination = join(dir, 'tarballs');
  mkdirSync(destination);
  const workspaces = PACKAGES.flatMap((p) => ['--workspace', p]);
  const output = await run(
    'npm',
    ['pack', ...workspaces, '--pack-destination', destination, '--json', '--loglevel=error'],
    repoRoot,
    npmEnv(dir),
  );
  // prepack's tsc prints nothing on success; the JSON array is the rest of stdout
  const packed = JSON.parse(output.slice(output.indexOf('['))) as Tarball[];
  return packed.map((t) => ({ ...t, filename: join(destination, t.filename) }));
}

/** The version of `name` this repository pins, so the example gets what the tests ran with. */
function pinned(name: string): string {
  const { dependencies } = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
  };
  return `${name}@${dependencies[name]}`;
}

/** Copies the example to `<dir>/app`, installs the tarballs into it and compiles it. */
export async function installExample(dir: string, tarballs: Tarball[]): Promise<string> {
  const app = join(dir, 'app');
  const example = join(repoRoot, 'examples/standalone');
  for (const part of ['package.json', 'tsconfig.json', 'src']) {
    cpSync(join(example, part), join(app, part), { recursive: true });
  }
  const env = npmEnv(dir);
  await run(
    'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
      ...tarballs.map((t) => t.filename),
      pinned('kafkajs'),
      pinned('pg'),
    ],
    app,
    env,
  );
  await run(process.execPath, [join(app, 'node_modules/typescript/bin/tsc'), '-p', app], app, env);
  return app;
}
