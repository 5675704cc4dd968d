// Runs the definition check against the database (GET /v1/definitions/check and start-up), and,
// at start-up, refuses a breaking change or, with the override, marks the orphaned sagas.
import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { DefinitionCheckStore } from '@skald/persistence';
import type { CompiledOrchestratorConfig } from '../config/orchestrator-config';
import { ORCHESTRATOR_CONFIG } from '../config/orchestrator-config.token';
import { definitionHash } from '../engine/definition-shape';
import { SagaDefinitions } from '../registry/saga-definitions';
import {
  definitionProblems,
  describeProblems,
  CHECK_SCOPE,
  type DefinitionCheckReport,
} from './definition-report';
import { BreakingDefinitionsError } from './errors';

@Injectable()
export class DefinitionCheck implements OnModuleInit {
  private readonly logger = new Logger(DefinitionCheck.name);

  constructor(
    private readonly store: DefinitionCheckStore,
    private readonly definitions: SagaDefinitions,
    @Inject(ORCHESTRATOR_CONFIG) private readonly config: CompiledOrchestratorConfig,
  ) {}

  /** Compares the registered definitions with the sagas not finished, in three grouped queries. */
  async run(): Promise<DefinitionCheckReport> {
    const registered = this.definitions.list();
    const lookup = (type: string, version: number) =>
      registered.find((d) => d.name === type && d.version === version);
    const [unfinished, steps] = await Promise.all([
      this.store.unfinishedGroups(CHECK_SCOPE),
      this.store.stepsInUse(CHECK_SCOPE),
    ]);
    const problems = definitionProblems(lookup, definitionHash, unfinished, steps);
    const affectedSagas =
      problems.length === 0
        ? 0
        : await this.store.affectedSagas(
            CHECK_SCOPE,
            registered.map((d) => ({
              type: d.name,
              version: d.version,
              definitionHash: definitionHash(d),
              steps: d.stepNames(),
            })),
          );
    return {
      ok: problems.length === 0,
      unfinishedSagas: unfinished.reduce((n, g) => n + g.sagas, 0),
      affectedSagas,
      problems,
    };
  }

  /** Before the app serves anything: a breaking change stops the start-up, unless overridden. */
  async onModuleInit(): Promise<void> {
    if (!(await this.store.schemaReady())) {
      this.logger.warn('definition check skipped: the database is not migrated yet');
      return;
    }
    const report = await this.run();
    if (!report.ok) {
      if (!this.config.allowBreakingDefinitions) throw new BreakingDefinitionsError(report);
      this.logger.warn(
        `${describeProblems(report)}\nstarting anyway (SKALD_ALLOW_BREAKING_DEFINITIONS=true)`,
      );
    }
    const { marked, cleared } = await this.store.markOrphans(
      CHECK_SCOPE,
      this.definitions.list().map((d) => ({ type: d.name, version: d.version })),
    );
    if (marked > 0)
      this.logger.warn(
        `${marked} sagas marked waitReason definition-missing: their version is not registered`,
      );
    if (cleared > 0)
      this.logger.log(
        `${cleared} sagas no longer definition-missing: their version is registered again`,
      );
  }
}
