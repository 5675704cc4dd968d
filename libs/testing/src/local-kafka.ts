import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { LocalStackError } from './errors';
import { findFreePort } from './free-port';
import {
  isSecured,
  listenerProperties,
  readinessCredentials,
  scramFormatArguments,
  type ListenerPorts,
  type LocalKafkaSecurity,
} from './kafka-listeners';
import { cacheDir, repoRoot, runtimeDir } from './paths';

export interface LocalKafkaOptions extends LocalKafkaSecurity {
  /** Broker log and data. @default a new directory under `$TMPDIR/skald/`, removed on stop */
  dataDir?: string;
  /** Keep `dataDir` after stop (and reuse its formatted storage on start). @default false */
  persistent?: boolean;
  /** Client port. @default a free port */
  port?: number;
  /** Partitions of auto-created topics. @default 4 */
  defaultPartitions?: number;
  /**
   * `auto.create.topics.enable`: false makes the broker refuse to produce to a topic nobody
   * created, as production brokers often do. @default true
   */
  autoCreateTopics?: boolean;
  /** How long to wait for the broker to accept a topic. @default 90_000 */
  startTimeoutMs?: number;
  log?: (line: string) => void;
}

export interface LocalKafka {
  readonly brokers: string[];
  readonly port: number;
  readonly dataDir: string;
  readonly logFile: string;
  readonly pid: number;
  /** SIGTERM, then SIGKILL after 15 s; removes the data unless persistent. */
  stop(): Promise<void>;
}

const POM = join(repoRoot, 'tools', 'kafka', 'pom.xml');
const NO_JAVA_HINT =
  'Alternatives: point Skald at running brokers with KAFKA_BROKERS=host:port[,host:port], ' +
  'or start the servers with `docker compose up`.';

/** The Kafka version pinned in tools/kafka/pom.xml: the one place it is written. */
export function pinnedKafkaVersion(): string {
  const match = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(readFileSync(POM, 'utf8'));
  if (!match) throw new LocalStackError(`${POM} does not pin <kafka.version>`);
  return match[1];
}

function requireTool(command: string, args: string[], what: string): string {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.error || result.status !== 0) {
    throw new LocalStackError(
      `The local Kafka broker needs ${what}, but \`${command}\` was not found or failed. ${NO_JAVA_HINT}`,
    );
  }
  return `${result.stdout}${result.stderr}`;
}

function checkJava(): void {
  const out = requireTool('java', ['-version'], 'a JDK 17 or newer');
  const major = Number(/version "(\d+)/.exec(out)?.[1] ?? 0);
  if (major < 17) {
    throw new LocalStackError(
      `The local Kafka broker needs Java 17 or newer; \`java -version\` reports ${major}. ${NO_JAVA_HINT}`,
    );
  }
}

/** Resolves the broker jars once into the cache with Maven; later calls return at once. */
export function ensureKafkaJars(log: (line: string) => void = () => undefined): string {
  checkJava();
  const version = pinnedKafkaVersion();
  const libs = join(cacheDir(), `kafka-${version}`, 'libs');
  if (existsSync(join(libs, `kafka_2.13-${version}.jar`))) return libs;

  requireTool('mvn', ['-v'], 'Maven (`mvn`) to download the Apache Kafka jars once');
  log(`kafka: downloading Apache Kafka ${version} jars with Maven into ${libs} (once)`);
  const staging = `${libs}.partial-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  const result = spawnSync(
    'mvn',
    [
      '-q',
      '-B',
      '-f',
      POM,
      'dependency:copy-dependencies',
      '-DincludeScope=runtime',
      `-DoutputDirectory=${staging}`,
    ],
    { encoding: 'utf8' },
  );
  if (result.status !== 0) {
    throw new LocalStackError(
      `Maven could not fetch org.apache.kafka:kafka_2.13:${version}:\n${result.stdout}${result.stderr}\n${NO_JAVA_HINT}`,
    );
  }
  // rename is atomic: a concurrent or interrupted download never leaves a half-filled libs dir
  mkdirSync(join(libs, '..'), { recursive: true });
  if (existsSync(libs)) rmSync(staging, { recursive: true, force: true });
  else renameSync(staging, libs);
  return libs;
}

function serverProperties(o: {
  ports: ListenerPorts;
  security: LocalKafkaSecurity;
  logDir: string;
  partitions: number;
  autoCreateTopics: boolean;
}): string {
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${o.ports.controllerPort}`,
    ...listenerProperties(o.ports, o.security),
    'controller.listener.names=CONTROLLER',
    `log.dirs=${o.logDir}`,
    `num.partitions=${o.partitions}`,
    `auto.create.topics.enable=${o.autoCreateTopics}`,
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=4',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    'num.network.threads=2',
    'num.io.threads=4',
    '',
  ].join('\n');
}

/**
 * Kafka wants a cluster id of 16 random bytes in URL-safe base64 without padding; like Kafka's own
 * Uuid.randomUuid, avoid a leading "-", which the storage tool's argument parser takes for a flag.
 */
function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

async function waitUntilTopicCanBeCreated(
  brokers: string[],
  security: LocalKafkaSecurity,
  child: ChildProcess,
  logFile: string,
  timeoutMs: number,
): Promise<void> {
  const kafka = new Kafka({
    clientId: 'skald-local-stack',
    brokers,
    ...readinessCredentials(security),
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
  });
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new LocalStackError(
        `The Kafka broker exited during start-up. Its log (${logFile}):\n${tail(logFile)}`,
      );
    }
    const admin = kafka.admin();
    try {
      await admin.connect();
      await admin.createTopics({
        topics: [{ topic: '__skald_ready', numPartitions: 1, replicationFactor: 1 }],
        waitForLeaders: true,
      });
      await admin.disconnect();
      return;
    } catch (error) {
      lastError = error;
      await admin.disconnect().catch(() => undefined);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  throw new LocalStackError(
    `The Kafka broker did not accept a topic within ${timeoutMs} ms (${String(lastError)}). Its log (${logFile}):\n${tail(logFile)}`,
  );
}

/** A persistent broker keeps its ports, so its clients and its stored quorum stay valid across restarts. */
async function choosePorts(
  dataDir: string,
  persistent: boolean,
  port: number | undefined,
  secured: boolean,
): Promise<ListenerPorts> {
  const file = join(dataDir, 'ports.json');
  if (persistent && existsSync(file)) {
    return JSON.parse(readFileSync(file, 'utf8')) as ListenerPorts;
  }
  const ports = {
    port: port ?? (await findFreePort()),
    controllerPort: await findFreePort(),
    ...(secured ? { internalPort: await findFreePort() } : {}),
  };
  if (persistent) writeFileSync(file, JSON.stringify(ports));
  return ports;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * Starts a single-node Apache Kafka broker in KRaft mode from the official jars (fetched once by
 * Maven from tools/kafka/pom.xml). The broker is a child process; it is killed if this process exits.
 */
export async function startLocalKafka(options: LocalKafkaOptions = {}): Promise<LocalKafka> {
  const log = options.log ?? (() => undefined);
  const libs = ensureKafkaJars(log);
  const persistent = options.persistent ?? false;
  const dataDir = options.dataDir ?? runtimeDir(`kafka-${process.pid}-${Date.now()}`);
  if (!persistent) rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const security: LocalKafkaSecurity = { saslUsers: options.saslUsers, tls: options.tls };
  const ports = await choosePorts(dataDir, persistent, options.port, isSecured(security));
  const { port } = ports;
  const logDir = join(dataDir, 'data');
  const logFile = join(dataDir, 'broker.log');
  const propsFile = join(dataDir, 'server.properties');
  const classpath = join(libs, '*');

  writeFileSync(
    propsFile,
    serverProperties({
      ports,
      security,
      logDir,
      partitions: options.defaultPartitions ?? 4,
      autoCreateTopics: options.autoCreateTopics ?? true,
    }),
  );

  if (!existsSync(join(logDir, 'meta.properties'))) {
    const format = spawnSync(
      'java',
      [
        '-cp',
        classpath,
        'kafka.tools.StorageTool',
        'format',
        `--cluster-id=${newClusterId()}`,
        '-c',
        propsFile,
        ...scramFormatArguments(security),
      ],
      { encoding: 'utf8' },
    );
    if (format.status !== 0) {
      throw new LocalStackError(
        `Formatting Kafka storage in ${logDir} failed:\n${format.stdout}${format.stderr}`,
      );
    }
  }

  const out = openSync(logFile, 'a');
  const child = spawn(
    'java',
    [
      '-Xms256m',
      '-Xmx1g',
      '-XX:+UseG1GC',
      '-Djava.awt.headless=true',
      '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn',
      '-cp',
      classpath,
      'kafka.Kafka',
      propsFile,
    ],
    { stdio: ['ignore', out, out] },
  );
  closeSync(out);
  // the broker must not outlive us, whatever way we exit
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const brokers = [`127.0.0.1:${port}`];
  try {
    await waitUntilTopicCanBeCreated(
      brokers,
      security,
      child,
      logFile,
      options.startTimeoutMs ?? 90_000,
    );
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }

  return {
    brokers,
    port,
    dataDir,
    logFile,
    pid: child.pid ?? -1,
    stop: async () => {
      process.removeListener('exit', killOnExit);
      const done = exited(child);
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await done;
      clearTimeout(timer);
      if (!persistent) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
