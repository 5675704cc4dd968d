// What every feature module reads: the compiled configuration, each participant's flow control, the fault
// hook, who may call the API, message signing and the app's logger. Global: the composition root
// provides them once.
import { Module, type DynamicModule } from '@nestjs/common';
import { API_ACCESS } from '../auth/api-key.guard';
import { ApiAccess } from '../auth/api-keys';
import { MessageSigning } from '../auth/message-signing';
import { ORCHESTRATOR_FAULTS, type OrchestratorFaults } from '../faults/fault-points';
import { createPinoLogger, PinoLogger } from '../logging/pino-logger';
import { ParticipantFlowControl } from '../resilience/flow-control';
import type { CompiledOrchestratorConfig } from './orchestrator-config';
import { ORCHESTRATOR_CONFIG } from './orchestrator-config.token';

@Module({})
export class OrchestratorConfigModule {
  static forRoot(config: CompiledOrchestratorConfig, faults: OrchestratorFaults): DynamicModule {
    return {
      module: OrchestratorConfigModule,
      global: true,
      providers: [
        { provide: ORCHESTRATOR_CONFIG, useValue: config },
        {
          provide: ParticipantFlowControl,
          useValue: new ParticipantFlowControl(config.flowControl, config.participantLimits),
        },
        { provide: ORCHESTRATOR_FAULTS, useValue: faults },
        {
          provide: API_ACCESS,
          useValue: new ApiAccess(config.apiKeys, config.publicMetricsAndDocs),
        },
        { provide: MessageSigning, useValue: new MessageSigning(config.signing) },
        // the app's logger (configureSkaldApp installs it)
        {
          provide: PinoLogger,
          useValue: createPinoLogger({ level: config.logLevel, name: config.instanceId }),
        },
      ],
      exports: [
        ORCHESTRATOR_CONFIG,
        ParticipantFlowControl,
        ORCHESTRATOR_FAULTS,
        API_ACCESS,
        MessageSigning,
        PinoLogger,
      ],
    };
  }
}
