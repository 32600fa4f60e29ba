// Entry point of the user-auth image: registers the function with functions-framework.
import { http } from '@google-cloud/functions-framework';
import { loadOrExit } from '@couponkill/config';
import { createUserAuth, FUNCTION_NAME } from './app.js';
import { loadUserAuthConfig } from './config.js';

const app = await createUserAuth(loadOrExit(() => loadUserAuthConfig()));
http(FUNCTION_NAME, app.handler);
