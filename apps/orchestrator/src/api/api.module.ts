// The REST API: its controllers, the views they answer with, and the app-wide API-key guard,
// validation pipe and error filter (APP_GUARD, APP_PIPE and APP_FILTER apply to every route,
// wherever they are provided).
import { Module, ValidationPipe } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { BulkModule } from '../bulk/bulk.module';
import { DefinitionsModule } from '../definitions/definitions.module';
import { EngineModule } from '../engine/engine.module';
import { ManualBreakers } from './manual-breakers';
import { TwoPhaseModule } from '../two-phase/two-phase.module';
import { BulkController } from './bulk.controller';
import { DefinitionsController } from './definitions.controller';
import { ErrorFilter } from './error.filter';
import { ParticipantsController } from './participants.controller';
import { SagaTypesController } from './saga-types.controller';
import { SagaViews } from './saga-views';
import { SagasController } from './sagas.controller';
import { TransactionsController } from './transactions.controller';

@Module({
  imports: [EngineModule, TwoPhaseModule, BulkModule, DefinitionsModule],
  controllers: [
    SagasController,
    SagaTypesController,
    ParticipantsController,
    TransactionsController,
    BulkController,
    DefinitionsController,
  ],
  providers: [
    SagaViews,
    ManualBreakers,
    { provide: APP_GUARD, useClass: ApiKeyGuard },
    {
      provide: APP_PIPE,
      useValue: new ValidationPipe({
        whitelist: true,
        forbidNonWhitelisted: true,
        transform: true,
        stopAtFirstError: false,
      }),
    },
    { provide: APP_FILTER, useClass: ErrorFilter },
  ],
  // the console (console/) reads through the same views
  exports: [SagaViews, ManualBreakers],
})
export class ApiModule {}
