// Entry point of the orders image: registers the function with functions-framework.
import { serveFunction } from '@couponkill/runtime';
import { createOrders, FUNCTION_NAME } from './app.js';
import { loadOrdersConfig } from './config.js';

await serveFunction(FUNCTION_NAME, loadOrdersConfig, createOrders);
