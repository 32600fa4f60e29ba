// Entry point of the reconcile image (a PingSource job): registers the function.
import { http } from '@google-cloud/functions-framework';
import { loadOrExit } from '@couponkill/config';
import { createReconcile, FUNCTION_NAME } from './app.js';
import { loadReconcileConfig } from './config.js';

const app = await createReconcile(loadOrExit(() => loadReconcileConfig()));
http(FUNCTION_NAME, app.handler);
