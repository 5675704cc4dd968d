// The README's saga and participant examples are code a user copies: they must type-check against
// the libraries as they are, and the saga must build and run (in memory, through the scenario
// driver) the way the README says.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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

// inside the checkout, so that `pg` and the `@skald/*` paths resolve as in a user's project
const dir = join(repoRoot, 'node_modules', '.cache', `readme-examples-${process.pid}`);
const sagaFile = join(dir, 'saga.ts');
const participantFile = join(dir, 'participant.ts');

describe('the README examples', () => {
  mkdirSync(dir, { recursive: true });
  writeFileSync(sagaFile, example('Writing a saga'));
  writeFileSync(participantFile, example('Writing a participant'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('type-check against the libraries', () => {
    const config = ts.readConfigFile(join(repoRoot, 'tsconfig.json'), (p) => ts.sys.readFile(p));
    const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, repoRoot);
    const program = ts.createProgram([sagaFile, participantFile], { ...options, noEmit: true });
    const problems = ts.getPreEmitDiagnostics(program).map((d) => {
      const where = d.file
        ? `${d.file.fileName}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}`
        : '';
      return `${where} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    });
    assert.deepEqual(problems, []);
  });

  it('build the saga, which completes, and compensates in reverse order', () => {
    const { outputText } = ts.transpileModule(example('Writing a saga'), {
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
      throw new Error(`the saga example imports ${name}; a saga needs only @skald/saga`);
    };
    load(only, loaded, loaded.exports);
    const bookTrip = loaded.exports.bookTrip;
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
});
