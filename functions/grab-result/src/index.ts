// Entry point of the grab-result image: registers the function with functions-framework.
import { serveFunction } from '@couponkill/runtime';
import { createGrabResult, FUNCTION_NAME } from './app.js';
import { loadGrabResultConfig } from './config.js';

await serveFunction(FUNCTION_NAME, loadGrabResultConfig, createGrabResult);
