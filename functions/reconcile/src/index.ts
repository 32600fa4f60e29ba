// Entry point of the reconcile image (a PingSource job): registers the function.
import { serveFunction } from '@couponkill/runtime';
import { createReconcile, FUNCTION_NAME } from './app.js';
import { loadReconcileConfig } from './config.js';

await serveFunction(FUNCTION_NAME, loadReconcileConfig, createReconcile);
