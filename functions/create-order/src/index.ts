// Entry point of the create-order image (the order worker): registers the function.
import { http } from '@google-cloud/functions-framework';
import { loadOrExit } from '@couponkill/config';
import { createCreateOrder, FUNCTION_NAME } from './app.js';
import { loadCreateOrderConfig } from './config.js';

const app = await createCreateOrder(loadOrExit(() => loadCreateOrderConfig()));
http(FUNCTION_NAME, app.handler);
