// Entry point of the outbox-relay image: starts the relay and registers its health endpoints.
import { http } from '@google-cloud/functions-framework';
import { loadOrExit } from '@couponkill/config';
import { createOutboxRelay, FUNCTION_NAME } from './app.js';
import { loadOutboxRelayConfig } from './config.js';

const app = await createOutboxRelay(loadOrExit(() => loadOutboxRelayConfig()));
http(FUNCTION_NAME, app.handler);
