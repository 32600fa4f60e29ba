export { type HostOptions, startHost, stopHost } from './host.js';
