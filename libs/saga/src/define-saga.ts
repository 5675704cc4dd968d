// defineSaga(): the DSL's types, the builder a saga is written with, and build(), which validates
// a definition once (naming the saga and step of every problem) and freezes it into the
// SagaDefinition that decide() runs on.
import { misroutedCompensation, SagaDefinitionError } from './errors';
import { probedParticipant } from './participants';
import {
  compileRetryPolicy,
  COMPENSATION_RETRY_DEFAULTS,
  FORWARD_RETRY_DEFAULTS,
  type CompiledRetryPolicy,
  type RetryPolicyOptions,
} from './retry-policy';

/** A command to send: participant (→ topic `<prefix>.commands.<participant>`), name (`ce_type`), payload. */
export interface CommandSpec {
  participant: string;
  command: string;
  payload: unknown;
}

export function command(participant: string, name: string, payload: unknown = {}): CommandSpec {
  return { participant, command: name, payload };
}

/** What a step's callbacks see of the saga. */
export interface SagaView<I, D> {
  readonly id: string;
  readonly input: I;
  readonly data: D;
}

// Callbacks are declared as methods so a step can type its reply (`onReply(s, r: { id: string })`).
export interface StepOptions<I, D> {
  /** The forward command. */
  invoke(saga: SagaView<I, D>): CommandSpec;
  /** The command that undoes a completed (or possibly completed) invoke. */
  compensate?(saga: SagaView<I, D>): CommandSpec;
  /** Maps a success reply into saga data (merged shallowly). */
  onReply?(saga: SagaView<I, D>, result: unknown): Partial<D>;
  /** Runs the step only when true (evaluated when its stage starts); otherwise it is skipped. */
  when?(saga: SagaView<I, D>): boolean;
  retry?: RetryPolicyOptions;
  compensationRetry?: RetryPolicyOptions;
  /** Per attempt, forward and compensation. @default 30_000 */
  timeoutMs?: number;
  /** The go/no-go step: once it succeeded, later steps are retried forward and never compensated. */
  pivot?: boolean;
  /**
   * What happens when the step's forward retries run out: `compensate` (fail the step and undo
   * the saga) or `pause` (hold the saga for an operator). @default the saga's `onExhausted`
   */
  onExhausted?: ExhaustedPolicy;
  /** An operator may skip this step once it is paused (`POST …/steps/:step/skip`). @default false */
  skippable?: boolean;
}

/** What a step whose forward retries ran out does. */
export const EXHAUSTED_POLICIES = ['compensate', 'pause'] as const;
export type ExhaustedPolicy = (typeof EXHAUSTED_POLICIES)[number];

type AnyView = SagaView<unknown, Record<string, unknown>>;

export interface CompiledStep {
  readonly name: string;
  readonly invoke: (saga: AnyView) => CommandSpec;
  readonly compensate?: (saga: AnyView) => CommandSpec;
  readonly onReply?: (saga: AnyView, result: unknown) => Record<string, unknown>;
  readonly when?: (saga: AnyView) => boolean;
  readonly retry: CompiledRetryPolicy;
  readonly compensationRetry: CompiledRetryPolicy;
  readonly timeoutMs: number;
  readonly pivot: boolean;
  readonly onExhausted: ExhaustedPolicy;
  readonly skippable: boolean;
}

/** A sequential step (kind 'step', one step of the same name) or a parallel group. */
export interface Stage {
  readonly name: string;
  readonly kind: 'step' | 'parallel';
  readonly steps: readonly CompiledStep[];
}

/**
 * A JSON Schema (draft 2020-12) object. The DSL only carries it: the orchestrator compiles it when
 * the definition is registered and refuses a new saga whose input does not match it.
 */
export type JsonSchema = { readonly [keyword: string]: unknown };

/** JSON view of a definition, for GET /v1/saga-types. */
export interface SagaDescription {
  /** The saga type, as `POST /v1/sagas` and a saga resource call it. */
  type: string;
  /** The same as `type` (the first name of this field, kept for existing clients). */
  name: string;
  version: number;
  description?: string;
  deadlineMs?: number;
  inputSchema?: JsonSchema;
  /** Every step name in order, parallel members included (the stages below group them). */
  steps: string[];
  stages: {
    name: string;
    kind: 'step' | 'parallel';
    steps: {
      name: string;
      pivot: boolean;
      compensatable: boolean;
      conditional: boolean;
      timeoutMs: number;
      retry: CompiledRetryPolicy;
      compensationRetry: CompiledRetryPolicy;
      onExhausted: ExhaustedPolicy;
      skippable: boolean;
    }[];
  }[];
}

const BRAND = Symbol.for('skald.saga-definition');

export interface SagaDefinition {
  readonly name: string;
  readonly version: number;
  readonly description?: string;
  readonly deadlineMs?: number;
  /** Checked against each new saga's input by the orchestrator; without it any JSON object goes. */
  readonly inputSchema?: JsonSchema;
  readonly stages: readonly Stage[];
  /** Index of the stage holding the pivot step, if any. */
  readonly pivotStage: number | undefined;
  /** Every step name in order (parallel members included, group names not). */
  stepNames(): string[];
  step(name: string): CompiledStep | undefined;
  stageOf(stepName: string): number;
  describe(): SagaDescription;
}

/** True for a built definition, even one built by another copy of this lib. */
export function isSagaDefinition(value: unknown): value is SagaDefinition {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as Record<symbol, unknown>)[BRAND] === true
  );
}

export interface SagaOptions {
  /** Positive integer; bump it when steps change while sagas of the old version may still run. */
  version: number;
  /** The whole saga must finish forward within this time, or it is compensated. */
  deadlineMs?: number;
  description?: string;
  /** Each step's `onExhausted` unless it sets its own. @default 'compensate' */
  onExhausted?: ExhaustedPolicy;
}

interface DraftStage {
  name: string;
  kind: 'step' | 'parallel';
  steps: { name: string; options: StepOptions<never, never> }[];
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** Members of a parallel group; they run concurrently and are compensated together. */
export class ParallelGroup<I, D> {
  /** @internal */
  readonly members: { name: string; options: StepOptions<never, never> }[] = [];

  step(name: string, options: StepOptions<I, D>): this {
    this.members.push({ name, options: options as unknown as StepOptions<never, never> });
    return this;
  }
}

export class SagaBuilder<I = unknown, D extends object = Record<string, unknown>> {
  private readonly stages: DraftStage[] = [];
  private inputSchema?: JsonSchema;

  constructor(
    private readonly name: string,
    private readonly options: SagaOptions,
  ) {}

  /**
   * Types the saga's input. With a JSON Schema (draft 2020-12), the orchestrator also refuses a
   * new saga whose input does not match it (400 naming each bad field); keep `T` and the schema
   * in step, as nothing derives one from the other.
   */
  input<T>(schema?: JsonSchema): SagaBuilder<T, D> {
    this.inputSchema = schema;
    return this as unknown as SagaBuilder<T, D>;
  }

  /** Types the saga's data, filled by `onReply` (no run-time effect). */
  data<T extends object>(): SagaBuilder<I, T> {
    return this as unknown as SagaBuilder<I, T>;
  }

  step(name: string, options: StepOptions<I, D>): this {
    this.stages.push({
      name,
      kind: 'step',
      steps: [{ name, options: options as unknown as StepOptions<never, never> }],
    });
    return this;
  }

  parallel(name: string, members: (group: ParallelGroup<I, D>) => ParallelGroup<I, D>): this {
    this.stages.push({ name, kind: 'parallel', steps: members(new ParallelGroup<I, D>()).members });
    return this;
  }

  /** Validates and freezes the definition; throws SagaDefinitionError naming the saga and step. */
  build(): SagaDefinition {
    return compile(this.name, this.options, this.stages, this.inputSchema);
  }
}

export function defineSaga(name: string, options: SagaOptions): SagaBuilder {
  return new SagaBuilder(name, options);
}

function compile(
  name: string,
  options: SagaOptions,
  drafts: DraftStage[],
  inputSchema: JsonSchema | undefined,
): SagaDefinition {
  const label = `saga ${JSON.stringify(name)} v${options.version}`;
  const fail = (problem: string): never => {
    throw new SagaDefinitionError(`${label}: ${problem}`);
  };
  if (!NAME.test(name))
    fail(
      'the name must be 1-100 letters, digits, ".", "_" or "-", starting with a letter or digit',
    );
  if (!Number.isInteger(options.version) || options.version < 1)
    fail('version must be a positive integer');
  if (options.deadlineMs !== undefined && !(options.deadlineMs > 0))
    fail('deadlineMs must be greater than 0');
  const badPolicy = (policy: unknown) =>
    policy !== undefined && !EXHAUSTED_POLICIES.includes(policy as ExhaustedPolicy);
  if (badPolicy(options.onExhausted))
    fail(`onExhausted must be one of ${EXHAUSTED_POLICIES.join(', ')}`);
  if (drafts.length === 0) fail('it has no steps; add at least one with .step(...)');
  // only the shape: the orchestrator checks the schema itself when it registers the definition
  if (
    inputSchema !== undefined &&
    (typeof inputSchema !== 'object' || inputSchema === null || Array.isArray(inputSchema))
  )
    fail('the input schema must be a JSON Schema object, such as { type: "object", ... }');

  const seen = new Set<string>();
  const claim = (what: string, n: string) => {
    if (!NAME.test(n))
      fail(`${what} ${JSON.stringify(n)}: names must be 1-100 letters, digits, ".", "_" or "-"`);
    if (seen.has(n))
      fail(`the name ${JSON.stringify(n)} is used twice; step and group names must be unique`);
    seen.add(n);
  };

  let pivotStage: number | undefined;
  const stages: Stage[] = drafts.map((draft, index) => {
    if (draft.kind === 'parallel') {
      claim('group', draft.name);
      if (draft.steps.length === 0)
        fail(`parallel group ${JSON.stringify(draft.name)} has no steps`);
    }
    const steps = draft.steps.map(({ name: stepName, options: o }) => {
      claim('step', stepName);
      const where = `step ${JSON.stringify(stepName)}`;
      if (typeof o.invoke !== 'function') fail(`${where} needs an invoke function`);
      if (o.compensate) {
        const ran = probedParticipant(o.invoke);
        const undoneAt = probedParticipant(o.compensate);
        if (ran !== undefined && undoneAt !== undefined && ran !== undoneAt)
          fail(misroutedCompensation(stepName, ran, undoneAt));
      }
      if (o.pivot) {
        if (draft.kind === 'parallel')
          fail(
            `${where} is a pivot inside parallel group ${JSON.stringify(draft.name)}; a pivot must be a sequential step`,
          );
        if (pivotStage !== undefined) fail(`${where} is a second pivot; a saga has at most one`);
        if (o.compensate)
          fail(`${where} is the pivot and has a compensate; the pivot is never compensated`);
        pivotStage = index;
      } else if (pivotStage !== undefined && o.compensate) {
        fail(
          `${where} comes after the pivot and has a compensate; steps after the pivot are retried forward, never compensated`,
        );
      }
      if (badPolicy(o.onExhausted))
        fail(`${where}: onExhausted must be one of ${EXHAUSTED_POLICIES.join(', ')}`);
      const timeoutMs = o.timeoutMs ?? 30_000;
      if (!(timeoutMs > 0)) fail(`${where}: timeoutMs must be greater than 0`);
      for (const [key, retry] of [
        ['retry', o.retry],
        ['compensationRetry', o.compensationRetry],
      ] as const) {
        if (!retry) continue;
        if (
          retry.maxAttempts !== undefined &&
          (!Number.isInteger(retry.maxAttempts) || retry.maxAttempts < 1)
        ) {
          fail(`${where}: ${key}.maxAttempts must be an integer of at least 1`);
        }
        if (retry.initialMs !== undefined && !(retry.initialMs >= 0))
          fail(`${where}: ${key}.initialMs must be 0 or more`);
        const initial = retry.initialMs ?? FORWARD_RETRY_DEFAULTS.initialMs;
        if (retry.maxMs !== undefined && !(retry.maxMs >= initial))
          fail(`${where}: ${key}.maxMs must be at least initialMs (${initial})`);
      }
      const step: CompiledStep = {
        name: stepName,
        invoke: o.invoke as CompiledStep['invoke'],
        compensate: o.compensate as CompiledStep['compensate'],
        onReply: o.onReply as CompiledStep['onReply'],
        when: o.when as CompiledStep['when'],
        retry: compileRetryPolicy(o.retry, FORWARD_RETRY_DEFAULTS),
        compensationRetry: compileRetryPolicy(o.compensationRetry, COMPENSATION_RETRY_DEFAULTS),
        timeoutMs,
        pivot: o.pivot === true,
        onExhausted: o.onExhausted ?? options.onExhausted ?? 'compensate',
        skippable: o.skippable === true,
      };
      return Object.freeze(step);
    });
    return Object.freeze({ name: draft.name, kind: draft.kind, steps: Object.freeze(steps) });
  });

  const byName = new Map(
    stages.flatMap((stage, i) => stage.steps.map((s) => [s.name, { step: s, stage: i }] as const)),
  );
  const definition: SagaDefinition & { [BRAND]: true } = {
    [BRAND]: true,
    name,
    version: options.version,
    description: options.description,
    deadlineMs: options.deadlineMs,
    inputSchema,
    stages: Object.freeze(stages),
    pivotStage,
    stepNames: () => [...byName.keys()],
    step: (n) => byName.get(n)?.step,
    stageOf: (n) => byName.get(n)?.stage ?? -1,
    describe: () => ({
      type: name,
      name,
      version: options.version,
      description: options.description,
      deadlineMs: options.deadlineMs,
      inputSchema,
      steps: [...byName.keys()],
      stages: stages.map((stage) => ({
        name: stage.name,
        kind: stage.kind,
        steps: stage.steps.map((s) => ({
          name: s.name,
          pivot: s.pivot,
          compensatable: s.compensate !== undefined,
          conditional: s.when !== undefined,
          timeoutMs: s.timeoutMs,
          retry: s.retry,
          compensationRetry: s.compensationRetry,
          onExhausted: s.onExhausted,
          skippable: s.skippable,
        })),
      })),
    }),
  };
  return Object.freeze(definition);
}
