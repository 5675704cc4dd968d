import { randomBytes } from 'node:crypto';
import { spawnOrchestrator, waitForHttp, type OrchestratorProcess } from './orchestrator-process';
import {
  startScriptedParticipant,
  type ScriptedParticipant,
  type ScriptedParticipantOptions,
} from './scripted-participant';
import { createTestDatabase, type TestDatabase } from './test-database';

export interface HarnessOptions {
  /** Modules with saga definitions (SKALD_SAGAS); TypeScript sources work in tests. */
  sagas: string[];
  /** Extra environment for the orchestrator. */
  env?: NodeJS.ProcessEnv;
  /** Kafka brokers of the orchestrator and its scripted participants. @default $KAFKA_BROKERS */
  brokers?: string[];
  /** The secret the REST helpers send as `Authorization: Bearer` (when `env` sets SKALD_API_KEYS). */
  apiKey?: string;
}

export interface JsonResponse<T = unknown> {
  status: number;
  body: T;
}

/** A saga resource as the REST API returns it. */
export interface SagaResource {
  id: string;
  type: string;
  version: number;
  status: string;
  input: unknown;
  data: Record<string, unknown>;
  error?: { code: string; message: string; step?: string };
  waitReason?: string;
  createdAt: string;
  updatedAt: string;
  steps: {
    name: string;
    status: string;
    attempts: number;
    run?: number;
    compensationAttempts: number;
    error?: { code: string };
  }[];
}

export interface HistoryItem {
  seq: number;
  type: string;
  step?: string;
  details?: Record<string, unknown>;
  at: string;
}

/**
 * One orchestrator process on a database and topic prefix of its own, with small REST helpers.
 * `restart()` replaces the process (same database and prefix), e.g. to change its sagas.
 */
export class OrchestratorHarness {
  readonly topicPrefix = `t${randomBytes(4).toString('hex')}`;
  readonly brokers: string[];
  db!: TestDatabase;
  process!: OrchestratorProcess;

  private constructor(private options: HarnessOptions) {
    this.brokers = options.brokers ?? process.env.KAFKA_BROKERS!.split(',');
  }

  static async start(options: HarnessOptions): Promise<OrchestratorHarness> {
    const harness = new OrchestratorHarness(options);
    harness.db = await createTestDatabase();
    await harness.launch();
    return harness;
  }

  private async spawn(): Promise<OrchestratorProcess> {
    const instance = await spawnOrchestrator({
      DATABASE_URL: this.db.url,
      KAFKA_BROKERS: this.brokers.join(','),
      SKALD_TOPIC_PREFIX: this.topicPrefix,
      SKALD_SAGAS: this.options.sagas.join(','),
      ...this.options.env,
    });
    await waitForHttp(`${instance.url}/health`, { process: instance });
    return instance;
  }

  private async launch(): Promise<void> {
    this.process = await this.spawn();
  }

  /** Another orchestrator process on the same database, brokers and prefix (stop it yourself). */
  addInstance(): Promise<OrchestratorProcess> {
    return this.spawn();
  }

  /** One scripted participant per name, on this orchestrator's brokers and prefix (stop them yourself). */
  async scriptedParticipants<N extends string>(
    names: readonly N[],
    answer: (name: N) => ScriptedParticipantOptions['answer'],
  ): Promise<Record<N, ScriptedParticipant>> {
    const started = {} as Record<N, ScriptedParticipant>;
    for (const name of names) {
      started[name] = await startScriptedParticipant({
        name,
        brokers: this.brokers,
        topicPrefix: this.topicPrefix,
        answer: answer(name),
      });
    }
    return started;
  }

  get url(): string {
    return this.process.url;
  }

  /** Stops the process (SIGTERM, or SIGKILL to simulate a crash) and starts a new one. */
  async restart(
    options: Partial<HarnessOptions> & { signal?: NodeJS.Signals } = {},
  ): Promise<void> {
    await this.process.stop(options.signal ?? 'SIGTERM');
    this.options = { ...this.options, ...options };
    await this.launch();
  }

  async request<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) {
    // the harness's key, unless the call brings an Authorization header of its own
    const { apiKey } = this.options;
    if (apiKey && !Object.keys(headers).some((h) => h.toLowerCase() === 'authorization'))
      headers = { ...headers, authorization: `Bearer ${apiKey}` };
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, body: parsed as T } satisfies JsonResponse<T>;
  }

  async startSaga(type: string, input: unknown): Promise<SagaResource> {
    const res = await this.request<SagaResource>('POST', '/v1/sagas', { type, input });
    if (res.status !== 201)
      throw new Error(`start ${type}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  async saga(id: string): Promise<SagaResource> {
    return (await this.request<SagaResource>('GET', `/v1/sagas/${id}`)).body;
  }

  async history(id: string): Promise<HistoryItem[]> {
    return (await this.request<HistoryItem[]>('GET', `/v1/sagas/${id}/history`)).body;
  }

  /** Polls until the saga has `status` (throws with the saga and its history if it never does). */
  async waitForStatus(id: string, status: string, timeoutMs = 30_000): Promise<SagaResource> {
    const deadline = Date.now() + timeoutMs;
    let saga = await this.saga(id);
    while (saga.status !== status && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      saga = await this.saga(id);
    }
    if (saga.status !== status) {
      const history = (await this.history(id)).map(
        (h) => `${h.type} ${h.step ?? ''} ${JSON.stringify(h.details ?? {})}`,
      );
      throw new Error(
        `saga ${id} is ${saga.status}, not ${status}:\n${JSON.stringify(saga, null, 2)}\n${history.join('\n')}`,
      );
    }
    return saga;
  }

  /** The value of one Prometheus counter (0 when absent). */
  async counter(name: string, labels: Record<string, string> = {}): Promise<number> {
    const text = (await this.request<string>('GET', '/metrics')).body;
    const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
    let total = 0;
    for (const line of text.split('\n')) {
      if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
      if (wanted.every((w) => line.includes(w))) total += Number(line.split(' ').pop());
    }
    return total;
  }

  async stop(): Promise<void> {
    await this.process.stop('SIGKILL');
    await this.db.drop();
  }
}
