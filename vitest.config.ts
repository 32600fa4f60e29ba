import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));

// Workspace packages resolve to their TypeScript sources, so tests never need a build first.
// (Aliases, not export conditions: they also apply where vitest loads the integration globalSetup.)
const alias = [
  { find: /^@couponkill\/local\/(.+)$/, replacement: `${root}local/src/$1/index.ts` },
  { find: /^@couponkill\/operator$/, replacement: `${root}operator/src/index.ts` },
  { find: /^@couponkill\/fn-([a-z-]+)\/([a-z-]+)$/, replacement: `${root}functions/$1/src/$2.ts` },
  { find: /^@couponkill\/([a-z-]+)$/, replacement: `${root}shared/$1/src/index.ts` },
];

export default defineConfig({
  resolve: { alias },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: [
            '{shared,functions}/*/test/**/*.test.ts',
            '{local,operator}/test/**/*.test.ts',
            'scripts/test/**/*.test.mjs',
          ],
          exclude: ['**/*.int.test.ts', '**/*.images.test.ts', '**/node_modules/**'],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['{shared,functions}/*/test/**/*.int.test.ts', '{local,operator}/test/**/*.int.test.ts'],
          globalSetup: ['local/src/testing/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        // Builds, pushes and runs the function images; starts its own Redis and registry.
        extends: true,
        test: {
          name: 'images',
          include: ['local/test/**/*.images.test.ts'],
          testTimeout: 600_000,
          hookTimeout: 900_000,
        },
      },
    ],
  },
});
