// The README's saga and participant examples, and every ts block of docs/, are code a user copies:
// they must type-check against the libraries as they are, and the sagas must build and run (in
// memory, through the scenario driver) the way the text says.
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, describe, it } from 'node:test';
import ts from 'typescript';
import * as saga from '@skald/saga';
import { repoRoot } from '@skald/testing';

const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');

/** The first ```ts block under the README's `## <heading>`. */
function example(heading: string): string {
  const section = readme.split(/^## /m).find((s) => s.startsWith(`${heading}\n`));
  const block = /```ts\n([\s\S]*?)```/.exec(section ?? '');
  assert.ok(block, `the README has a ts example under "## ${heading}"`);
  return block[1];
}

function markdownFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return markdownFiles(path);
    return path.endsWith('.md') ? [path] : [];
  });
}

/** Every ```ts block of the pages under docs/, named after its page and place. */
const docsExamples = markdownFiles(join(repoRoot, 'docs')).flatMap((page) =>
  [...readFileSync(page, 'utf8').matchAll(/^```ts\n([\s\S]*?)^```/gm)].map(([, code], i) => ({
    name: `${relative(join(repoRoot, 'docs'), page).replace(/[/\\.]/g, '-')}-${i + 1}`,
    code,
  })),
);

// inside the checkout, so that `pg` and the `@skald/*` paths resolve as in a user's project
const dir = join(repoRoot, 'node_modules', '.cache', `readme-examples-${process.pid}`);
const sagaFile = join(dir, 'saga.ts');
const participantFile = join(dir, 'participant.ts');
// `export {}` makes each block a module of its own, as it is in a user's project
const docsFiles = docsExamples.map((e) => ({ ...e, file: join(dir, `${e.name}.ts`) }));

/** Runs a module that may import only @skald/saga; returns its exports. */
function loadSagaModule(code: string, where: string): Record<string, unknown> {
  const { outputText } = ts.transpileModule(code, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
  });
  const loaded = { exports: {} as Record<string, unknown> };
  const load = new Function('require', 'module', 'exports', outputText) as (
    require: (name: string) => unknown,
    module: { exports: Record<string, unknown> },
    exports: Record<string, unknown>,
  ) => void;
  const only = (name: string) => {
    if (name === '@skald/saga') return saga;
    throw new Error(`${where} imports ${name}; a saga needs only @skald/saga`);
  };
  load(only, loaded, loaded.exports);
  return loaded.exports;
}

describe('the README examples', () => {
  mkdirSync(dir, { recursive: true });
  writeFileSync(sagaFile, example('Writing a saga'));
  writeFileSync(participantFile, example('Writing a participant'));
  for (const { file, code } of docsFiles) writeFileSync(file, `${code}\nexport {};\n`);
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('type-check against the libraries, with the examples of docs/', () => {
    assert.ok(docsFiles.length >= 4, 'the ts blocks of docs/ are found');
    const config = ts.readConfigFile(join(repoRoot, 'tsconfig.json'), (p) => ts.sys.readFile(p));
    const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, repoRoot);
    const files = [sagaFile, participantFile, ...docsFiles.map((f) => f.file)];
    const program = ts.createProgram(files, { ...options, noEmit: true });
    const problems = ts.getPreEmitDiagnostics(program).map((d) => {
      const where = d.file
        ? `${d.file.fileName}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}`
        : '';
      return `${where} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    });
    assert.deepEqual(problems, []);
  });

  it('build the saga, which completes, and compensates in reverse order', () => {
    const bookTrip = loadSagaModule(example('Writing a saga'), 'the saga example').bookTrip;
    assert.ok(saga.isSagaDefinition(bookTrip), 'the example exports a built definition');

    const input = { customer: 'ada', amount: 900 }; // under 1000: no museum
    saga
      .sagaScenario(bookTrip, { input })
      .expectCommand('cars', 'reserve', { customer: 'ada' })
      .reply('success', { id: 'c1' })
      .expectCommand('hotels', 'reserve')
      .reply('success', { id: 'h1' })
      .expectCommand('payments', 'charge', { amount: 900 })
      .reply('success')
      .expectStatus('completed');
    saga
      .sagaScenario(bookTrip, { input })
      .expectCommand('cars', 'reserve')
      .reply('success', { id: 'c1' })
      .expectCommand('hotels', 'reserve')
      .reply('success', { id: 'h1' })
      .expectCommand('payments', 'charge')
      .reply('failure', { code: 'CARD_DECLINED', message: 'over the limit' })
      .expectCommand('hotels', 'cancel')
      .reply('success')
      .expectCommand('cars', 'cancel')
      .reply('success')
      .expectStatus('compensated');
  });

  it('run the saga examples of docs/: their definitions build, their scenarios pass', () => {
    const sagaOnly = docsFiles.filter(({ code }) =>
      [...code.matchAll(/from '([^']+)'/g)].every(([, module]) => module === '@skald/saga'),
    );
    assert.ok(sagaOnly.length >= 2, 'docs/ has saga examples');
    for (const { name, code } of sagaOnly) {
      // build() throws on a bad definition, and a block's own sagaScenario(...) on a wrong story
      const exports = loadSagaModule(code, name);
      // like a SKALD_SAGAS module, a saga example exports built definitions only
      for (const [key, value] of Object.entries(exports))
        assert.ok(saga.isSagaDefinition(value), `${name}: ${key} is a built definition`);
    }
  });
});
