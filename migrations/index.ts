import { CreateSkaldSchema1764000000000 } from './1764000000000-CreateSkaldSchema';
import { CreateSagaTables1764000100000 } from './1764000100000-CreateSagaTables';
import { AddFlowControl1764000200000 } from './1764000200000-AddFlowControl';
import { CreateTwoPhaseTables1764100000000 } from './1764100000000-CreateTwoPhaseTables';
import { AddBreakerFailingOperations1764300000000 } from './1764300000000-AddBreakerFailingOperations';
import { AddTwoPhaseAcknowledgeDeadline1764400000000 } from './1764400000000-AddTwoPhaseAcknowledgeDeadline';
import { AddTraceParent1764500000000 } from './1764500000000-AddTraceParent';
import { AddSagaWaitReason1765000000000 } from './1765000000000-AddSagaWaitReason';
import { AddDefinitionChecksAndRetention1765100000000 } from './1765100000000-AddDefinitionChecksAndRetention';
import { CreateBulkJobs1765200000000 } from './1765200000000-CreateBulkJobs';
import { AddParticipantLimits1765300000000 } from './1765300000000-AddParticipantLimits';
import { AddOutboxLease1765400000000 } from './1765400000000-AddOutboxLease';
import { SagaInstanceFillfactor1765500000000 } from './1765500000000-SagaInstanceFillfactor';

/** Every migration, oldest first. Add new ones here: the list is explicit so a build bundles them all. */
export const migrations = [
  CreateSkaldSchema1764000000000,
  CreateSagaTables1764000100000,
  AddFlowControl1764000200000,
  CreateTwoPhaseTables1764100000000,
  AddBreakerFailingOperations1764300000000,
  AddTwoPhaseAcknowledgeDeadline1764400000000,
  AddTraceParent1764500000000,
  AddSagaWaitReason1765000000000,
  AddDefinitionChecksAndRetention1765100000000,
  CreateBulkJobs1765200000000,
  AddParticipantLimits1765300000000,
  AddOutboxLease1765400000000,
  SagaInstanceFillfactor1765500000000,
];
