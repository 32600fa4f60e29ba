export { type Endpoints, type NacosEndpoint, type RunningServer, type StartOptions } from './types.js';
export {
  endpointsFromEnv,
  type LocalServers,
  type LocalServersOptions,
  rssMb,
  type ServerReport,
  startLocalServers,
} from './servers.js';
export { startRedis } from './redis.js';
export { MYSQL_PASSWORD, MYSQL_USER, startMariadb } from './mariadb.js';
export { ensureKafka, startKafka } from './kafka.js';
export { ensureRnacos, NACOS_PASSWORD, NACOS_USERNAME, startNacos } from './rnacos.js';
export { cacheDir, removeStateDir, REPO_ROOT, stateDir } from './paths.js';
export { logTail, type ServerProcess, spawnServer, stopByPidFile, waitFor } from './process.js';
export { pickPort, requirePort } from './ports.js';
export { runInstallStep } from './install.js';
