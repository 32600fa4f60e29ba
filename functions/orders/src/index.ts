// Entry point of the orders image: registers the function with functions-framework.
import { http } from '@google-cloud/functions-framework';
import { loadOrExit } from '@couponkill/config';
import { createOrders, FUNCTION_NAME } from './app.js';
import { loadOrdersConfig } from './config.js';

const app = await createOrders(loadOrExit(() => loadOrdersConfig()));
http(FUNCTION_NAME, app.handler);
