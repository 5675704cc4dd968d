// The console at /console: server-rendered pages over the REST API's own views, engine and keys
// (docs/console.md, docs/adr/012-console.md).
import { Module } from '@nestjs/common';
import { ApiModule } from '../api/api.module';
import { BulkModule } from '../bulk/bulk.module';
import { DefinitionsModule } from '../definitions/definitions.module';
import { EngineModule } from '../engine/engine.module';
import { TwoPhaseModule } from '../two-phase/two-phase.module';
import { ConsoleActionsController } from './console-actions.controller';
import { ConsoleBulkController } from './console-bulk.controller';
import { ConsoleAuth } from './console-auth';
import { ConsolePagesController } from './console-pages.controller';
import { ConsoleReads } from './console-reads';

@Module({
  imports: [ApiModule, BulkModule, DefinitionsModule, EngineModule, TwoPhaseModule],
  // the actions controller last: its catch-all GET answers any other path with a 404 page
  controllers: [ConsolePagesController, ConsoleBulkController, ConsoleActionsController],
  providers: [ConsoleAuth, ConsoleReads],
})
export class ConsoleModule {}
