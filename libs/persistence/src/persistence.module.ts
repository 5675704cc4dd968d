// The orchestrator's database as a Nest module: the one TypeORM connection pool and the stores
// built on it. Global, like TypeOrmModule.forRoot itself: the composition root configures it once.
import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { dataSourceOptions, type DatabaseOptions } from './data-source';
import { BulkJobStore } from './bulk-jobs';
import { DefinitionCheckStore } from './definition-checks';
import { LeaseStore } from './lease-store';
import { SagaQueries } from './saga-queries';
import { SagaStore } from './saga-store';
import { TwoPhaseStore } from './two-phase-store';

export interface PersistenceModuleOptions extends Pick<DatabaseOptions, 'url' | 'poolSize'> {
  /** The payload of this process's outbox notifications (SagaStore), e.g. `<instance>/<pid>`. */
  notifyAs: string;
  /** The engine's statements as named prepared statements (statements.ts). @default true */
  preparedStatements?: boolean;
}

/** A store the injector builds on the module's DataSource. */
function onDataSource<T>(
  Store: new (ds: DataSource) => T,
  build = (ds: DataSource) => new Store(ds),
): Provider {
  return { provide: Store, useFactory: build, inject: [DataSource] };
}

@Module({})
export class PersistenceModule {
  static forRoot({
    url,
    poolSize,
    notifyAs,
    preparedStatements,
  }: PersistenceModuleOptions): DynamicModule {
    return {
      module: PersistenceModule,
      global: true,
      imports: [
        TypeOrmModule.forRoot({
          ...dataSourceOptions({ url, poolSize }),
          // migrations run before the app is built (runMigrations), under an advisory lock
          migrationsRun: false,
          retryAttempts: 2,
          retryDelay: 1_000,
        }),
      ],
      providers: [
        onDataSource(SagaStore, (ds) => new SagaStore(ds, { notifyAs, preparedStatements })),
        onDataSource(SagaQueries),
        onDataSource(LeaseStore),
        onDataSource(TwoPhaseStore),
        onDataSource(BulkJobStore),
        onDataSource(DefinitionCheckStore),
      ],
      exports: [
        SagaStore,
        SagaQueries,
        LeaseStore,
        TwoPhaseStore,
        BulkJobStore,
        DefinitionCheckStore,
      ],
    };
  }
}
