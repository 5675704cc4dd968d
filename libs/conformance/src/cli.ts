#!/usr/bin/env node
// skald-conformance: the command line around runConformance (docs/conformance.md).
import { describeFailure, kafkaCredentialsFromEnv } from '@skald/protocol';
import { parseCliArguments } from './arguments';
import { ConformanceSetupError, ConformanceUsageError } from './errors';
import { formatReport } from './report';
import { runConformance } from './run';

const EXIT = { passed: 0, failed: 1, usage: 2 } as const;

async function main(argv: string[]): Promise<number> {
  try {
    const parsed = parseCliArguments(argv);
    if (parsed.help !== undefined) {
      process.stdout.write(parsed.help);
      return EXIT.passed;
    }
    // secrets come from the environment, not from flags another user's `ps` would show
    const kafka = kafkaCredentialsFromEnv(process.env);
    if (kafka.problems.length) throw new ConformanceUsageError(kafka.problems.join('; '));
    const report = await runConformance({ ...parsed.options, credentials: kafka.credentials });
    process.stdout.write(
      parsed.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatReport(report).join('\n')}\n`,
    );
    return report.passed ? EXIT.passed : EXIT.failed;
  } catch (error) {
    if (error instanceof ConformanceUsageError) {
      process.stderr.write(`skald-conformance: ${error.message}\nSee skald-conformance --help.\n`);
      return EXIT.usage;
    }
    // the kit's own errors say what to do; anything else is shown with its name and code
    const why = error instanceof ConformanceSetupError ? error.message : describeFailure(error);
    process.stderr.write(`skald-conformance: ${why}\n`);
    return EXIT.failed;
  }
}

// writes to files and pipes are synchronous on Linux and macOS, so nothing is cut off by exit()
// (main catches every error itself)
void main(process.argv.slice(2)).then((code) => process.exit(code));
