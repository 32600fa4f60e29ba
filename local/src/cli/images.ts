/**
 * Image commands behind the make targets (see `make help`):
 *   images.ts build [--functions a,b] [--tag T] [--deps shared|own] [--no-cache]
 */
import { parseArgs } from 'node:util';
import { buildImages, mb } from '../images/build.js';

const [command, ...rest] = process.argv.slice(2);
const { values } = parseArgs({
  args: rest,
  options: {
    functions: { type: 'string' },
    tag: { type: 'string' },
    deps: { type: 'string', default: 'shared' },
    layout: { type: 'string' },
    'no-cache': { type: 'boolean', default: false },
  },
});
if (command === 'build') {
  const result = await buildImages({
    ...(values.functions !== undefined ? { functions: values.functions.split(',') } : {}),
    ...(values.tag !== undefined ? { tag: values.tag } : {}),
    ...(values.layout !== undefined ? { layout: values.layout } : {}),
    deps: values.deps === 'own' ? 'own' : 'shared',
    cache: !values['no-cache'],
    log: (line) => console.log(`  ${line}`),
  });
  console.log(`${result.images.length} images in ${result.layout} in ${(result.ms / 1000).toFixed(1)} s; distinct layers ${mb(result.distinctSize)}`);
}
