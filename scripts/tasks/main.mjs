// The task runner behind make, npm run and build.ps1: node scripts/tasks.mjs <verb> [NAME=value…] [args…]
// NAME=value (or --NAME=value; NAME in capitals) sets a variable the way make's command line does:
// the verb reads it, and the programs it runs get it in their environment. Every other argument
// goes to the program of a verb that takes arguments, after the words of ARGS.
import { bootstrap } from './bootstrap.mjs';
import { projectEnv, TaskError } from './run.mjs';
import { help, verb } from './verbs.mjs';

const VARIABLE = /^(?:--)?([A-Z][A-Z0-9_]*)=(.*)$/s;

/** Splits argv after the verb into variables and the remaining arguments. */
export function parseArgs(argv) {
  const vars = {};
  const rest = [];
  for (const arg of argv) {
    const m = VARIABLE.exec(arg);
    if (m !== null && rest.length === 0) vars[m[1]] = m[2];
    else rest.push(arg);
  }
  return { vars, rest };
}

/** The words of a make variable such as ARGS='--set a=b --start-in 20', quotes as a shell reads them. */
export function words(text) {
  const out = [];
  let word;
  let quote;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote !== undefined) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < text.length) word += text[++i];
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      word ??= '';
    } else if (c === '\\' && i + 1 < text.length) {
      word = (word ?? '') + text[++i];
    } else if (/\s/.test(c)) {
      if (word !== undefined) out.push(word);
      word = undefined;
    } else {
      word = (word ?? '') + c;
    }
  }
  if (quote !== undefined) throw new TaskError(`unbalanced ${quote} in ${text}`);
  if (word !== undefined) out.push(word);
  return out;
}

export async function main(argv) {
  const [name = 'help', ...after] = argv;
  const v = verb(name);
  if (v === undefined) throw new TaskError(`no verb ${name}; make help (or npm run help) lists them`, 2);
  const { vars: given, rest } = parseArgs(after);
  if (!v.args && rest.length > 0)
    throw new TaskError(`${name} takes variables (NAME=value), not arguments: ${rest.join(' ')}`, 2);
  if (name === 'help') {
    help(rest);
    return 0;
  }
  if (v.deps) await bootstrap();
  const vars = { ...process.env, ...given };
  const args = v.args ? [...words(vars.ARGS ?? ''), ...rest] : [];
  return v.run({ vars, args, env: projectEnv(given) });
}

export async function cli() {
  try {
    process.exitCode = await main(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof TaskError)) throw err;
    console.error(`\u001b[1;31mxx\u001b[0m ${err.message}`);
    process.exitCode = err.code;
  }
}
