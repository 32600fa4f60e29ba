// Entry point of the audit image (a PingSource job): registers the function.
import { serveFunction } from '@couponkill/runtime';
import { createAudit, FUNCTION_NAME } from './app.js';
import { loadAuditConfig } from './config.js';

await serveFunction(FUNCTION_NAME, loadAuditConfig, createAudit);
