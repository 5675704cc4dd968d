/**
 * Waits for `work` at most `ms`. Shutdown uses it: with the broker gone, kafkajs keeps retrying a
 * disconnect (offset commit, leave-group) for tens of seconds; uncommitted offsets only mean a
 * redelivery, which the inbox absorbs.
 */
export async function bounded(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    work.catch(() => undefined),
    new Promise<void>((resolve) => (timer = setTimeout(resolve, ms))),
  ]);
  clearTimeout(timer);
}
