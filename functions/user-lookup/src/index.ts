// Entry point of the user-lookup image: registers the function with functions-framework.
import { serveFunction } from '@couponkill/runtime';
import { createUserLookup, FUNCTION_NAME } from './app.js';
import { loadUserLookupConfig } from './config.js';

await serveFunction(FUNCTION_NAME, loadUserLookupConfig, createUserLookup);
