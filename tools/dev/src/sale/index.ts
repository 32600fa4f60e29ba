export { LocalScaler, type MinScaleStore } from './scaler.js';
export { FileSeckillStore, parseSeckillFile } from './store.js';
