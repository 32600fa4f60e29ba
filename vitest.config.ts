import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));

/** Each export of a tools/* package, by its full specifier, to the `source` file it names. */
function toolsAliases(): { find: RegExp; replacement: string }[] {
  return readdirSync(`${root}tools`).flatMap((dir) => {
    const pkg = JSON.parse(readFileSync(`${root}tools/${dir}/package.json`, 'utf8')) as {
      name: string;
      exports?: Record<string, { source: string }>;
    };
    return Object.entries(pkg.exports ?? {}).map(([subpath, target]) => ({
      find: new RegExp(`^${(pkg.name + subpath.slice(1)).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`),
      replacement: `${root}tools/${dir}/${target.source.slice(2)}`,
    }));
  });
}

// Workspace packages resolve to their TypeScript sources, so tests never need a build first.
// (Aliases, not export conditions: they also apply where vitest loads the integration globalSetup.)
const alias = [
  ...toolsAliases(),
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
            '{shared,functions,tools}/*/test/**/*.test.ts',
            'operator/test/**/*.test.ts',
            'scripts/test/**/*.test.mjs',
          ],
          exclude: ['**/*.int.test.ts', '**/*.images.test.ts', '**/node_modules/**'],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['{shared,functions,tools}/*/test/**/*.int.test.ts', 'operator/test/**/*.int.test.ts'],
          globalSetup: ['tools/system-tests/src/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        // Builds, pushes and runs the function images; starts its own Redis and registry.
        extends: true,
        test: {
          name: 'images',
          include: ['tools/images/test/**/*.images.test.ts'],
          testTimeout: 600_000,
          hookTimeout: 900_000,
        },
      },
    ],
  },
});
