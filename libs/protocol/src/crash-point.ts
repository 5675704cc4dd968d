let paused = false;

/**
 * A named place where a crash test can stop a process dead: when the environment variable
 * SKALD_CRASH_AT equals `name`, the process SIGKILLs itself there. Inert otherwise.
 * With SKALD_CRASH_SIGNAL=SIGSTOP it freezes there instead (once per process), so a test can
 * hold it past its lease and SIGCONT it.
 */
export function crashPoint(name: string): void {
  if (process.env.SKALD_CRASH_AT !== name) return;
  if (process.env.SKALD_CRASH_SIGNAL === 'SIGSTOP') {
    if (paused) return;
    paused = true;
    process.kill(process.pid, 'SIGSTOP');
    return;
  }
  process.kill(process.pid, 'SIGKILL');
}
