export { type ConfigListener, NacosConfig, type NacosOptions } from './client.js';
export { type Credentials, NacosToken } from './token.js';
export { type ParseResult, type TypedWatch, watchConfig, type WatchOptions } from './watch.js';
export { NACOS_ENV, nacosOptionsFrom, type NacosSettings, nacosSettingsSchema } from './settings.js';
