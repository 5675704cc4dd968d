// Bulk actions by filter: jobs (API side) and their runner (background, under a lease).
import { Module } from '@nestjs/common';
import { EngineModule } from '../engine/engine.module';
import { BulkJobs } from './bulk-jobs.service';
import { BulkRunner } from './bulk-runner.service';

@Module({
  imports: [EngineModule],
  providers: [BulkJobs, BulkRunner],
  exports: [BulkJobs],
})
export class BulkModule {}
