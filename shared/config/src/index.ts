export { ConfigError, loadOrExit } from './errors.js';
export {
  type ApplyResult,
  CONFIG_FILE_ENV,
  configLoader,
  ConfigStore,
  type ConfigSpec,
  type LayerName,
  loadConfig,
  type LoadOptions,
  parseConfigDocument,
} from './store.js';
export { coerceEnvValue } from './env.js';
