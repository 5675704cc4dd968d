// The checks, as scenarios a participant must get through. Each scenario uses sagas of its own,
// so they run side by side and one participant's fault shows in the checks it concerns.
import { randomUUID } from 'node:crypto';
import {
  HEADERS,
  PHASES,
  PROTOCOL_ERROR_CODES,
  type ReplyEnvelope,
  type WireMessage,
} from '@skald/protocol';
import { headerText } from './mailbox';
import { fail, pass, type CheckId, type Verdict } from './report';
import { describeReply, replyDifference, type Answer, type Session } from './session';

export interface Scenario {
  /** The checks it decides; one it leaves undecided is reported failed, "not checked". */
  checks: CheckId[];
  run(session: Session): Promise<Partial<Record<CheckId, Verdict>>>;
}

/** The reply, if the answer is a `success` one. */
const success = (answer: Answer): ReplyEnvelope | undefined =>
  'reply' in answer && answer.reply.outcome === 'success' ? answer.reply : undefined;

/** Compares a later answer with the first reply: the same outcome and data, or why not. */
function sameAs(first: ReplyEnvelope, later: Answer, what: string): Verdict {
  if ('problem' in later) return fail(`${what}: ${later.problem}`);
  const difference = replyDifference(first, later.reply);
  return difference ? fail(`${what}: ${difference}`) : pass(`${what}: ${describeReply(first)}`);
}

const forwardRefused = (answer: Answer) =>
  'problem' in answer
    ? answer.problem
    : `the command answered ${describeReply(answer.reply)}; --command with --payload must be one the participant carries out`;

/** correlation, redelivery, new-attempt: one forward command, sent again, then attempted again. */
const forwardCommand: Scenario = {
  checks: ['correlation', 'redelivery', 'new-attempt'],
  async run(session) {
    const sagaId = randomUUID();
    const command = session.command(sagaId, PHASES.execute, 1);
    const answer = await session.ask(command);
    const first = success(answer);
    if (!first) return { correlation: fail(forwardRefused(answer)) };
    return {
      correlation: pass(`answered ${describeReply(first)}`),
      redelivery: sameAs(first, await session.ask(command), 'the same ce_id sent again'),
      'new-attempt': sameAs(
        first,
        await session.ask(session.command(sagaId, PHASES.execute, 2)),
        'attempt 2',
      ),
    };
  },
};

/** empty-compensation, fenced-after-compensation: the compensation overtakes its command. */
const compensationFirst: Scenario = {
  checks: ['empty-compensation', 'fenced-after-compensation'],
  async run(session) {
    const sagaId = randomUUID();
    const compensation = await session.ask(session.command(sagaId, PHASES.compensate, 1));
    if ('problem' in compensation) return { 'empty-compensation': fail(compensation.problem) };
    const late = await session.ask(session.command(sagaId, PHASES.execute, 1));
    const code = 'reply' in late ? (late.reply.data as { code?: unknown } | null)?.code : undefined;
    return {
      'empty-compensation': success(compensation)
        ? pass(`answered ${describeReply(compensation.reply)}`)
        : fail(`answered ${describeReply(compensation.reply)}`),
      'fenced-after-compensation':
        'problem' in late
          ? fail(late.problem)
          : late.reply.outcome === 'failure' && code === PROTOCOL_ERROR_CODES.fenced
            ? pass(`answered ${describeReply(late.reply)}`)
            : fail(`answered ${describeReply(late.reply)}: the command ran after its compensation`),
    };
  },
};

/** repeated-compensation: a command that ran, its compensation, that compensation again twice. */
const repeatedCompensation: Scenario = {
  checks: ['repeated-compensation'],
  async run(session) {
    const sagaId = randomUUID();
    const forward = await session.ask(session.command(sagaId, PHASES.execute, 1));
    if (!success(forward))
      return { 'repeated-compensation': fail(`not checked: ${forwardRefused(forward)}`) };
    const compensation = session.command(sagaId, PHASES.compensate, 1);
    const answer = await session.ask(compensation);
    const first = success(answer);
    if (!first)
      return {
        'repeated-compensation': fail(
          'problem' in answer
            ? answer.problem
            : `the compensation answered ${describeReply(answer.reply)}; a compensation of a step that ran must succeed`,
        ),
      };
    const verdicts = [
      sameAs(first, await session.ask(compensation), 'the same ce_id sent again'),
      sameAs(first, await session.ask(session.command(sagaId, PHASES.compensate, 2)), 'attempt 2'),
    ];
    const failed = verdicts.filter((v) => !v.passed);
    return {
      'repeated-compensation': (failed.length ? fail : pass)(
        (failed.length ? failed : verdicts).map((v) => v.detail).join('; '),
      ),
    };
  },
};

/** dead-letter-bad-json, dead-letter-missing-header, stays-up: two malformed commands, then a good one. */
const malformedCommands: Scenario = {
  checks: ['dead-letter-bad-json', 'dead-letter-missing-header', 'stays-up'],
  async run(session) {
    // one saga id keys all three, so they share a partition and the good one waits behind the others
    const sagaId = randomUUID();
    const badJson = session.command(sagaId, PHASES.execute, 1);
    badJson.record.value = '{"this is": not JSON';
    const missingHeader = session.command(sagaId, PHASES.execute, 1);
    delete missingHeader.record.headers[HEADERS.sagaStep];
    const good = session.command(sagaId, PHASES.execute, 1);

    const marks = session.marks();
    const written: { partition: number; offset: string }[] = [];
    for (const command of [badJson, missingHeader, good])
      written.push(await session.send(command.record));
    const deadLettered = async (index: 0 | 1): Promise<Verdict> => {
      const command = [badJson, missingHeader][index];
      const [letter, answer] = await Promise.all([
        session.deadLetter(command.id, marks.deadLetters),
        session.answer(command, marks.replies),
      ]);
      const problems: string[] = [];
      if (!letter)
        problems.push(`nothing on the DLQ with its ce_id within ${session.timeoutMs} ms`);
      else problems.push(...deadLetterProblems(letter, command.record, written[index], session));
      if ('problem' in answer) problems.push(answer.problem);
      else if (
        answer.reply.outcome !== 'failure' ||
        (answer.reply.data as { code?: unknown }).code !== PROTOCOL_ERROR_CODES.malformed
      )
        problems.push(`answered ${describeReply(answer.reply)}`);
      return problems.length
        ? fail(problems.join('; '))
        : pass(`dead-lettered: ${headerText(letter!, HEADERS.deadLetterReason)}`);
    };
    const [bad, missing, after] = await Promise.all([
      deadLettered(0),
      deadLettered(1),
      session.answer(good, marks.replies),
    ]);
    return {
      'dead-letter-bad-json': bad,
      'dead-letter-missing-header': missing,
      'stays-up':
        'problem' in after ? fail(after.problem) : pass(`answered ${describeReply(after.reply)}`),
    };
  },
};

/** What is wrong with a dead letter: the skald_dlq_* headers must say where the record was, which it keeps. */
function deadLetterProblems(
  letter: WireMessage,
  sent: { key: string; value: string | null },
  where: { partition: number; offset: string },
  session: Session,
): string[] {
  const expected: Record<string, string> = {
    [HEADERS.deadLetterTopic]: session.commandTopic,
    [HEADERS.deadLetterPartition]: String(where.partition),
    [HEADERS.deadLetterOffset]: where.offset,
  };
  const problems = Object.entries(expected)
    .filter(([name, value]) => headerText(letter, name) !== value)
    .map(
      ([name, value]) =>
        `${name} is ${JSON.stringify(headerText(letter, name) ?? null)}, not ${value}`,
    );
  if (!headerText(letter, HEADERS.deadLetterReason))
    problems.push(`the dead letter has no ${HEADERS.deadLetterReason}`);
  if (letter.key?.toString() !== sent.key || letter.value?.toString() !== sent.value)
    problems.push('the dead letter does not keep the original key and value');
  return problems;
}

export const SCENARIOS: Scenario[] = [
  forwardCommand,
  compensationFirst,
  repeatedCompensation,
  malformedCommands,
];
