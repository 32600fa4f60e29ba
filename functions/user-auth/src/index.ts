// Entry point of the user-auth image: registers the function with functions-framework.
import { serveFunction } from '@couponkill/runtime';
import { createUserAuth, FUNCTION_NAME } from './app.js';
import { loadUserAuthConfig } from './config.js';

await serveFunction(FUNCTION_NAME, loadUserAuthConfig, createUserAuth);
