// Entry point of the outbox-relay image: starts the relay and registers its health endpoints.
import { serveFunction } from '@couponkill/runtime';
import { createOutboxRelay, FUNCTION_NAME } from './app.js';
import { loadOutboxRelayConfig } from './config.js';

await serveFunction(FUNCTION_NAME, loadOutboxRelayConfig, createOutboxRelay);
