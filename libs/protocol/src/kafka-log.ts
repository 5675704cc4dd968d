/** A kafkajs log entry as its `logCreator` gets it (kafkajs' own types stay out of this lib). */
export interface KafkaLogEntry {
  namespace: string;
  /** kafkajs' `logLevel`: 1 ERROR, 2 WARN, 4 INFO, 5 DEBUG. */
  level: number;
  log: { message: string; error?: unknown; [key: string]: unknown };
}

export type KafkaLogSeverity = 'error' | 'warn' | 'debug';

/**
 * Error answers Kafka gives while a broker starts, a topic is created (by us or a racer) or a
 * group rebalances. kafkajs logs each at ERROR and then retries; one that persists reaches the
 * caller as an error, which is where it gets reported.
 */
const RETRIED_ANSWERS = [
  'The group coordinator is not available',
  "The coordinator is loading and hence can't process requests for this group",
  'This is not the correct coordinator for this group',
  'There is no leader for this topic-partition as we are in the middle of a leadership election',
  'This server is not the leader for that topic-partition',
  'This server does not host this topic-partition',
  'Topic creation errors',
  'Topic with this name already exists',
  'The group is rebalancing, so a rejoin is needed',
  'The coordinator is not aware of this member',
  'Specified group generation id is not valid',
  'This is not the correct controller for this cluster',
];

const isRetriedAnswer = (text: string) => RETRIED_ANSWERS.some((answer) => text.includes(answer));

/**
 * How loud a kafkajs log entry should be: expected, retried error answers (and a consumer crash
 * they caused) are `debug`; a broker out of reach (retried too) and other consumer crashes are
 * `warn`; the rest keeps kafkajs' level (INFO counts as `debug`: it narrates connects and joins).
 */
export function kafkaLogSeverity({ namespace, level, log }: KafkaLogEntry): KafkaLogSeverity {
  if (level === 2) return 'warn';
  if (level !== 1) return 'debug';
  const message = String(log.message);
  if (namespace === 'Connection' && message.startsWith('Response'))
    return isRetriedAnswer(String(log.error)) ? 'debug' : 'error';
  // kafkajs restarts the consumer after these; the crash line names the cause
  if (namespace === 'Consumer' && message.startsWith('Restarting')) return 'debug';
  if (namespace === 'Consumer' && message.startsWith('Crash'))
    return isRetriedAnswer(message) ? 'debug' : 'warn';
  if (
    (namespace === 'Connection' && message.startsWith('Connection error')) ||
    (namespace === 'BrokerPool' && message.startsWith('Failed to connect'))
  )
    return 'warn';
  return 'error';
}

/** One line of an entry: kafkajs repeats timestamp, logger name and a full stack; keep the facts. */
export function kafkaLogLine({ namespace, log }: KafkaLogEntry): string {
  const { message, timestamp: _t, logger: _l, stack: _s, ...extra } = log;
  const details = Object.keys(extra).length ? ` ${JSON.stringify(extra)}` : '';
  return `${namespace ? `${namespace}: ` : ''}${message}${details}`;
}
