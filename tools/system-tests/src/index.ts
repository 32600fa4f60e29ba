export { fireGrabs, type GrabAttempt, type GrabLoadResult } from './grab-load.js';
export { type BooksReport, checkBooks, checkInvariants, type InvariantReport, type SaleFacts } from './invariants.js';
export { pressingUsers, settle, shuffle } from './sale-load.js';
export { SaleRig } from './sale-rig.js';
