// The deploy-time definition check (docs/operations.md#definition-check): run at start-up, and
// on demand by GET /v1/definitions/check.
import { Module } from '@nestjs/common';
import { DefinitionCheck } from './definition-check.service';

@Module({ providers: [DefinitionCheck], exports: [DefinitionCheck] })
export class DefinitionsModule {}
