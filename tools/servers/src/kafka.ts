import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { cacheDir, stateDir } from './paths.js';
import { portFor, requirePort } from './ports.js';
import { runInstallStep } from './install.js';
import { spawnServer, stopByPidFile, waitFor } from './process.js';
import type { RunningServer, StartOptions } from './types.js';
import { KAFKA_SCALA, KAFKA_VERSION, LOG4J_SLF4J_VERSION } from './versions.js';

const POM = `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>io.couponkill.local</groupId>
  <artifactId>kafka-runtime</artifactId>
  <version>1</version>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_${KAFKA_SCALA}</artifactId><version>${KAFKA_VERSION}</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId><version>${LOG4J_SLF4J_VERSION}</version></dependency>
  </dependencies>
</project>
`;

/** The Kafka broker jars, fetched once from Maven Central into the per-user cache. */
export async function ensureKafka(log: (line: string) => void): Promise<string> {
  const home = cacheDir(`kafka-${KAFKA_VERSION}`);
  const lib = join(home, 'lib');
  if (existsSync(join(lib, '.complete'))) return home;
  log(`kafka: fetching Apache Kafka ${KAFKA_VERSION} jars with Maven (one time, ~45 MB)`);
  const work = join(home, 'build');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  writeFileSync(join(work, 'pom.xml'), POM);
  await runInstallStep('kafka', 'mvn', ['-B', '-q', 'dependency:copy-dependencies', '-DoutputDirectory=lib'], {
    cwd: work,
    log,
  });
  writeFileSync(join(work, 'lib', '.complete'), `${KAFKA_VERSION}\n`);
  rmSync(lib, { recursive: true, force: true });
  renameSync(join(work, 'lib'), lib);
  rmSync(work, { recursive: true, force: true });
  log(`kafka: ${readdirSync(lib).length - 1} jars in ${lib}`);
  return home;
}

function clusterId(): string {
  // The storage tool's argument parser reads an id starting with '-' as a flag.
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/** A class-data-sharing archive per JVM build halves Kafka's start time after the first run. */
function cdsArchive(home: string): string {
  const version = spawnSync('java', ['-version'], { encoding: 'utf8' }).stderr;
  const key = createHash('sha256').update(version).digest('hex').slice(0, 12);
  return join(home, `kafka-cds-${key}.jsa`);
}

export interface KafkaOptions extends StartOptions {
  readonly heapMb?: number;
  /**
   * The port clients are told to connect to (default: the broker's own). A fault-injecting proxy
   * in front of the broker advertises its own port, so clients reach the broker only through it.
   */
  readonly advertisedPort?: number;
}

/** Starts a single-node KRaft broker+controller on 127.0.0.1 with data under `.run/<profile>/kafka`. */
export async function startKafka(options: KafkaOptions): Promise<RunningServer<string[]>> {
  const log = options.log ?? (() => {});
  const home = await ensureKafka(log);
  const dir = stateDir(options.profile, 'kafka');
  const pidFile = join(dir, 'kafka.pid');
  await stopByPidFile(pidFile, 20_000);
  const dataDir = join(dir, 'data');
  // A broker restarted on its data comes back on the same ports: clients and the controller
  // quorum know it by those. A fresh one takes the preferred ports or free ones.
  const portsFile = join(dir, 'ports.json');
  const previous =
    existsSync(join(dataDir, 'meta.properties')) && existsSync(portsFile)
      ? (JSON.parse(readFileSync(portsFile, 'utf8')) as { port: number; controllerPort: number })
      : undefined;
  const port =
    previous === undefined ? await portFor(options.port, options.exactPort) : await requirePort(previous.port);
  const controllerPort =
    previous === undefined
      ? await portFor(options.port === undefined ? undefined : options.port + 1, false)
      : await requirePort(previous.controllerPort);
  writeFileSync(portsFile, JSON.stringify({ port, controllerPort }));
  const properties = join(dir, 'server.properties');
  writeFileSync(
    properties,
    [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
      `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${options.advertisedPort ?? port}`,
      'controller.listener.names=CONTROLLER',
      'inter.broker.listener.name=PLAINTEXT',
      'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
      `log.dirs=${dataDir}`,
      'num.partitions=4',
      'offsets.topic.replication.factor=1',
      'offsets.topic.num.partitions=1',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'transaction.state.log.num.partitions=1',
      'share.coordinator.state.topic.replication.factor=1',
      'share.coordinator.state.topic.min.isr=1',
      'group.initial.rebalance.delay.ms=0',
      'auto.create.topics.enable=false',
      // The 128 MiB default needs a heap >= 192 MB; 16 MiB is plenty for one node.
      'log.cleaner.dedupe.buffer.size=16777216',
      '',
    ].join('\n'),
  );
  const log4j = join(dir, 'log4j2.properties');
  writeFileSync(
    log4j,
    [
      'status = warn',
      'appender.out.type = Console',
      'appender.out.name = out',
      'appender.out.layout.type = PatternLayout',
      'appender.out.layout.pattern = [%d] %p %m (%c)%n',
      'rootLogger.level = info',
      'rootLogger.appenderRef.out.ref = out',
      'logger.kafka.name = kafka',
      'logger.kafka.level = warn',
      'logger.clients.name = org.apache.kafka',
      'logger.clients.level = warn',
      'logger.started.name = kafka.server.KafkaRaftServer',
      'logger.started.level = info',
      '',
    ].join('\n'),
  );
  const classpath = `${join(home, 'lib')}/*`;
  if (!existsSync(join(dataDir, 'meta.properties'))) {
    const format = spawnSync(
      'java',
      [
        '-Xmx256m',
        '-cp',
        classpath,
        'kafka.tools.StorageTool',
        'format',
        '--ignore-formatted',
        '-t',
        clusterId(),
        '-c',
        properties,
      ],
      { encoding: 'utf8' },
    );
    if (format.status !== 0) throw new Error(`kafka storage format failed:\n${format.stdout}${format.stderr}`);
  }
  const archive = cdsArchive(home);
  const training = `${archive}.${process.pid}.tmp`;
  const cds = existsSync(archive)
    ? [`-XX:SharedArchiveFile=${archive}`, '-Xshare:auto']
    : [`-XX:ArchiveClassesAtExit=${training}`];
  const heap = options.heapMb ?? 384;
  const started = Date.now();
  const server = spawnServer({
    name: 'kafka',
    command: 'java',
    args: [
      `-Xms64m`,
      `-Xmx${heap}m`,
      '-XX:+UseG1GC',
      '-XX:TieredStopAtLevel=1',
      ...cds,
      `-Dkafka.logs.dir=${dir}`,
      `-Dlog4j2.configurationFile=${log4j}`,
      '-cp',
      classpath,
      'kafka.Kafka',
      properties,
    ],
    logFile: join(dir, 'kafka.log'),
    pidFile,
  });
  // After the first clean stop the JVM has written the archive; keep it for every later start.
  void server.exited.then(() => {
    if (existsSync(training)) {
      if (existsSync(archive)) rmSync(training, { force: true });
      else renameSync(training, archive);
    }
  });
  const brokers = [`127.0.0.1:${port}`];
  await waitFor(() => kafkaReady(brokers), { what: 'kafka', timeoutMs: 60_000, server, intervalMs: 250 });
  log(
    `kafka ready on 127.0.0.1:${port} in ${Date.now() - started} ms${existsSync(archive) ? '' : ' (first start: training the CDS archive)'}`,
  );
  return { endpoint: brokers, process: server, startMs: Date.now() - started };
}

async function kafkaReady(brokers: string[]): Promise<boolean> {
  const admin = new Kafka({
    brokers,
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
    connectionTimeout: 1000,
  }).admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.controller !== null && cluster.brokers.length > 0;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
