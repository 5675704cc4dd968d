// The crash device: a test process installs it as the fault hook of the orchestrator or a
// participant, and it stops that process dead at the one crash point the environment arms.
// Production code never loads this file: it only announces its fault points.

/**
 * Where a crash point opens its window: at fault point `at`, and, for a point passed more often
 * than the window, only the passes `when` accepts (given what the point passes to the hook).
 */
export interface CrashWindow<Point extends string, Context = never> {
  at: Point;
  when?: (context: Context) => boolean;
}

/**
 * The hook for a process whose crash points are `windows` (name → window). Inert unless the
 * environment variable SKALD_CRASH_AT names one of them; then the process SIGKILLs itself when
 * that window opens. With SKALD_CRASH_SIGNAL=SIGSTOP it freezes there instead (once per process),
 * so a test can hold it past its lease and SIGCONT it. A name the process does not have throws:
 * a misspelt crash point would otherwise never fire.
 */
export function crashDevice<Point extends string>(
  windows: Readonly<Record<string, CrashWindow<Point>>>,
  env: NodeJS.ProcessEnv = process.env,
): (point: Point, context?: unknown) => void {
  const armed = env.SKALD_CRASH_AT;
  if (!armed) return () => undefined;
  if (!Object.hasOwn(windows, armed)) {
    throw new Error(
      `SKALD_CRASH_AT=${armed} is not a crash point of this process; it has: ${Object.keys(windows).join(', ')}`,
    );
  }
  const window = windows[armed];
  const freeze = env.SKALD_CRASH_SIGNAL === 'SIGSTOP';
  let frozen = false;
  return (point, context) => {
    if (point !== window.at || (window.when && !window.when(context as never))) return;
    if (!freeze) process.kill(process.pid, 'SIGKILL');
    else if (!frozen) {
      frozen = true;
      process.kill(process.pid, 'SIGSTOP');
    }
  };
}
