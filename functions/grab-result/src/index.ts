// Entry point of the grab-result image: registers the function with functions-framework.
import { http } from '@google-cloud/functions-framework';
import { loadOrExit } from '@couponkill/config';
import { createGrabResult, FUNCTION_NAME } from './app.js';
import { loadGrabResultConfig } from './config.js';

const app = await createGrabResult(loadOrExit(() => loadGrabResultConfig()));
http(FUNCTION_NAME, app.handler);
