export { type Caller, type Role, ROLES } from './claims.js';
export {
  generateSigningKey,
  type KeyRing,
  loadKeyRing,
  publicJwks,
  SIGNING_ALG,
  type SigningKey,
  type SigningKeyConfig,
  signingKeySchema,
  signingKeysSchema,
} from './keys.js';
export { issueAccessToken, type IssueOptions } from './issuer.js';
export { createVerifier, type Verify, type VerifierOptions } from './verifier.js';
export { authenticate, bearerToken, hasRole, requireRole, routeGuard } from './http.js';
export { VERIFIER_ENV, verifierFrom, type VerifierSettings, verifierSettingsSchema } from './settings.js';
export { isJobToken, jobGuard, jobTokenSchema, requireJobToken } from './job-token.js';
