/**
 * A named place where a crash test can stop a process dead: when the environment variable
 * SKALD_CRASH_AT equals `name`, the process SIGKILLs itself there. Inert otherwise.
 */
export function crashPoint(name: string): void {
  if (process.env.SKALD_CRASH_AT === name) process.kill(process.pid, 'SIGKILL');
}
