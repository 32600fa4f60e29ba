// Entry point of the user-lookup image: registers the function with functions-framework.
import { http } from '@google-cloud/functions-framework';
import { loadOrExit } from '@couponkill/config';
import { createUserLookup, FUNCTION_NAME } from './app.js';
import { loadUserLookupConfig } from './config.js';

const app = await createUserLookup(loadOrExit(() => loadUserLookupConfig()));
http(FUNCTION_NAME, app.handler);
