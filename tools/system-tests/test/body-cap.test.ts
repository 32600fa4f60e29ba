import { loadManifests } from '@couponkill/manifest';
import { REPO_ROOT } from '@couponkill/servers';
import { describe, expect, it } from 'vitest';

// A function's body cap is written twice: `bodyCapBytes` in its manifest (what the docs and the
// operators read) and MAX_BODY_BYTES in its app.ts (what kit.handler enforces). They say the same,
// for every function folder with a manifest, including one added later.
describe('body caps: function.yaml and app.ts agree', () => {
  for (const manifest of loadManifests(REPO_ROOT)) {
    it(`${manifest.name}`, async () => {
      const app = (await import(`@couponkill/fn-${manifest.name}/app`)) as { MAX_BODY_BYTES?: unknown };
      expect(app.MAX_BODY_BYTES).toBe(manifest.bodyCapBytes);
    });
  }
});
