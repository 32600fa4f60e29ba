export { type HostOptions, startHost, stopHost } from './host.js';
export { serveFunction } from './serve.js';
