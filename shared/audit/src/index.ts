export { auditCoupon, type AuditDeps, type AuditOptions, type AuditReport } from './audit.js';
export { AUDIT_STORES_ENV, auditStoresSchema } from './stores.js';
