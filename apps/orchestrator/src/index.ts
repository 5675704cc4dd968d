/**
 * The orchestrator as a Nest module, for running Skald inside your own Nest app.
 *
 * @example
 * import { NestFactory } from '@nestjs/core';
 * import { configureSkaldApp, loadOrchestratorConfig, SkaldModule } from '@skald/orchestrator';
 * import { bookTrip } from './sagas/book-trip';
 *
 * const config = loadOrchestratorConfig(process.env);
 * const app = await NestFactory.create(SkaldModule.forRoot({ config, sagas: [bookTrip] }), { bodyParser: false });
 * configureSkaldApp(app, config);
 * await app.listen(config.port);
 */
export {
  loadOrchestratorConfig,
  ConfigError,
  type CompiledOrchestratorConfig,
} from './config/orchestrator-config';
export { configureSkaldApp } from './configure-app';
export type {
  OrchestratorFaultPoint,
  OrchestratorFaultPoints,
  OrchestratorFaults,
} from './faults/fault-points';
export { SkaldModule, type SkaldModuleOptions } from './skald.module';
