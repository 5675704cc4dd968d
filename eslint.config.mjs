// Lint rules, including the dependency rules between libs (../shared/STYLE.md).
import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import tseslint from 'typescript-eslint';

const deepImports = {
  group: ['@skald/*/*'],
  message: 'Import a lib through its index only (@skald/<lib>).',
};
const nest = { group: ['@nestjs/*'], message: 'No NestJS here.' };
const kafkajs = {
  group: ['kafkajs'],
  message: 'kafkajs is only used in apps/orchestrator/src/kafka/ and the participant SDK.',
};
const orm = {
  group: ['typeorm', '@nestjs/typeorm', 'pg'],
  message: 'No database access here: that is libs/persistence.',
};
// libraries trace through the API alone: registering an SDK is the application's call (#17)
const otelSdk = {
  group: ['@opentelemetry/*', '!@opentelemetry/api'],
  message: 'Libraries use @opentelemetry/api only; the application registers an SDK.',
};
const lib = (name) => ({
  group: [`@skald/${name}`],
  message: `This layer may not depend on @skald/${name}.`,
});
// The orchestrator's folders, bottom layer first: a folder imports only from layers below its own,
// so no two folders import each other and a reader can start at the bottom.
const ORCHESTRATOR_LAYERS = [
  ['auth'],
  ['logging', 'metrics', 'faults', 'tracing'],
  ['resilience'],
  ['config'],
  ['kafka', 'registry'],
  ['sending'],
  ['engine'],
  ['two-phase', 'housekeeping', 'bulk', 'definitions'],
  ['outbox', 'replies', 'timers', 'health'],
  ['api'],
  ['console'],
];
const orchestratorFolderZones = ORCHESTRATOR_LAYERS.flatMap((layer, i) =>
  layer.map((folder) => ({
    target: `./apps/orchestrator/src/${folder}`,
    from: ORCHESTRATOR_LAYERS.slice(i)
      .flat()
      .filter((other) => other !== folder)
      .map((other) => `./apps/orchestrator/src/${other}`),
    message: `apps/orchestrator/src/${folder} may import only from the layers below it (ORCHESTRATOR_LAYERS in eslint.config.mjs).`,
  })),
).filter((zone) => zone.from.length > 0);
const restrict = (...patterns) => ({
  'no-restricted-imports': ['error', { patterns: [deepImports, ...patterns] }],
});

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'bench/results/**', '*.mjs'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { 'import-x': importX },
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    settings: {
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })],
    },
    rules: {
      // an unawaited producer.send or query is a lost message or write
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          // node:test runs these itself
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite'] },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { prefer: 'type-imports', fixStyle: 'inline-type-imports' },
      ],
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      'import-x/no-cycle': 'error',
      'no-console': 'error',
      ...restrict(),
    },
  },
  // Nest DI reads constructor parameter types at run time: they must stay value imports
  {
    files: ['apps/**/*.ts'],
    languageOptions: {
      parserOptions: { emitDecoratorMetadata: true, experimentalDecorators: true },
    },
  },
  // command-line programs print to the console
  {
    files: [
      'scripts/**/*.ts',
      'bench/**/*.ts',
      'apps/*/test/chaos/chaos.ts',
      'examples/*/src/**/*.ts',
    ],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['libs/protocol/**/*.ts'],
    rules: restrict(
      nest,
      { group: ['@opentelemetry/*'], message: 'The wire protocol imports nothing.' },
      kafkajs,
      orm,
      lib('saga'),
      lib('persistence'),
      lib('participant'),
      lib('testing'),
      lib('two-phase'),
    ),
  },
  {
    files: ['libs/saga/**/*.ts'],
    rules: restrict(
      nest,
      otelSdk,
      kafkajs,
      orm,
      lib('persistence'),
      lib('participant'),
      lib('testing'),
      lib('two-phase'),
    ),
  },
  // the 2PC protocol is pure like the saga model (whose errors it shares): no NestJS, no I/O
  {
    files: ['libs/two-phase/**/*.ts'],
    rules: restrict(
      nest,
      kafkajs,
      orm,
      otelSdk,
      lib('persistence'),
      lib('participant'),
      lib('testing'),
    ),
  },
  {
    files: ['libs/persistence/src/**/*.ts'],
    rules: restrict(kafkajs, otelSdk, lib('participant'), lib('testing')),
  },
  {
    files: ['libs/participant/src/**/*.ts'],
    rules: restrict(
      nest,
      otelSdk,
      lib('saga'),
      lib('persistence'),
      lib('testing'),
      lib('two-phase'),
    ),
  },
  // the conformance kit sees a participant only from the outside: the wire protocol and Kafka
  {
    files: ['libs/conformance/src/**/*.ts'],
    rules: restrict(
      nest,
      orm,
      lib('saga'),
      lib('persistence'),
      lib('participant'),
      lib('testing'),
      lib('two-phase'),
    ),
  },
  {
    files: ['apps/orchestrator/src/**/*.ts'],
    ignores: ['apps/orchestrator/src/kafka/**'],
    rules: restrict(kafkajs, lib('participant'), lib('testing'), {
      group: ['pg', 'typeorm', '@nestjs/typeorm'],
      message: 'SQL and TypeORM go through libs/persistence (PersistenceModule).',
    }),
  },
  {
    files: ['apps/orchestrator/src/**/*.ts'],
    rules: { 'import-x/no-restricted-paths': ['error', { zones: orchestratorFolderZones }] },
  }, // a package's bin launchers are plain CommonJS: they run before any TypeScript is registered
  {
    files: ['apps/*/bin/*.js'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
