// runConformance: open the probe, run every scenario side by side, report every check.
import { describeFailure } from '@skald/protocol';
import { SCENARIOS, type Scenario } from './checks';
import { compileConformanceOptions, type ConformanceOptions } from './options';
import { WireProbe } from './probe';
import { CHECKS, fail, type CheckId, type CheckResult, type Report, type Verdict } from './report';
import { Session } from './session';

/** A scenario's verdict on each of its checks; one it left open failed because an earlier one did. */
async function runScenario(scenario: Scenario, session: Session): Promise<[CheckId, Verdict][]> {
  let decided: Partial<Record<CheckId, Verdict>>;
  try {
    decided = await scenario.run(session);
  } catch (error) {
    return scenario.checks.map((id) => [
      id,
      fail(`not checked: the kit failed (${describeFailure(error)})`),
    ]);
  }
  const firstFailure = scenario.checks.map((id) => decided[id]).find((v) => v && !v.passed);
  return scenario.checks.map((id) => [
    id,
    decided[id] ?? fail(`not checked, as an earlier check failed: ${firstFailure?.detail}`),
  ]);
}

/**
 * Checks a running participant against the wire protocol from the outside (docs/conformance.md).
 * Throws ConformanceUsageError for bad options and ConformanceSetupError when it cannot start
 * (Kafka unreachable, the participant's topic missing); a participant's fault is a failed check.
 */
export async function runConformance(options: ConformanceOptions): Promise<Report> {
  const compiled = compileConformanceOptions(options);
  const probe = await WireProbe.open(compiled);
  const session = new Session(probe, compiled);
  // runScenario never throws, so the probe is always closed
  const verdicts = new Map(
    (await Promise.all(SCENARIOS.map((scenario) => runScenario(scenario, session)))).flat(),
  );
  const leftovers = await probe.close();
  const checks: CheckResult[] = (Object.keys(CHECKS) as CheckId[]).map((id) => ({
    id,
    title: CHECKS[id],
    ...verdicts.get(id)!,
  }));
  return {
    participant: compiled.participant,
    commandTopic: compiled.topics.commands,
    passed: checks.every((check) => check.passed),
    checks,
    leftovers,
  };
}
