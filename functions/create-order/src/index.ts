// Entry point of the create-order image (the order worker): registers the function.
import { serveFunction } from '@couponkill/runtime';
import { createCreateOrder, FUNCTION_NAME } from './app.js';
import { loadCreateOrderConfig } from './config.js';

await serveFunction(FUNCTION_NAME, loadCreateOrderConfig, createCreateOrder);
