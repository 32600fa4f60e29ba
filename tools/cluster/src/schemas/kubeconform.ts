import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cacheDir, REPO_ROOT } from '@couponkill/servers';
import { ensureSchemas } from './ensure.js';

const run = promisify(execFile);

export interface ValidationResult {
  readonly ok: boolean;
  /** kubeconform's text output: one line per invalid object, then the summary. */
  readonly output: string;
  readonly summary: { valid: number; invalid: number; errors: number; skipped: number };
}

/** The pinned kubeconform binary, built into the per-user cache on first use. */
export async function kubeconformBinary(): Promise<string> {
  const bin = join(cacheDir('k8s-tools', 'bin'), 'kubeconform');
  if (!existsSync(bin)) {
    await run(process.execPath, [join(REPO_ROOT, 'scripts/tasks/go-tools.mjs'), 'kubeconform'], {
      maxBuffer: 64 * 1024 * 1024,
    });
  }
  return bin;
}

/**
 * Validates manifests (files, or `-` for stdin text given as `input`) against the offline
 * schemas, strictly: unknown fields fail, and a kind without a schema fails too.
 */
export async function validateManifests(
  files: readonly string[],
  options: { extraCrdFiles?: readonly string[]; input?: string } = {},
): Promise<ValidationResult> {
  // Our own CRDs are converted on every call (they change with the working tree), into a folder
  // of this call's own.
  const ownDir = mkdtempSync(join(tmpdir(), 'couponkill-crd-schemas-'));
  try {
    return await validate(files, options, ownDir);
  } finally {
    rmSync(ownDir, { recursive: true, force: true });
  }
}

async function validate(
  files: readonly string[],
  options: { extraCrdFiles?: readonly string[]; input?: string },
  outDir: string,
): Promise<ValidationResult> {
  const [bin, dirs] = await Promise.all([
    kubeconformBinary(),
    ensureSchemas({ extraCrdFiles: options.extraCrdFiles, outDir }),
  ]);
  const args = ['-strict', '-summary', '-output', 'json', ...dirs.locations.flatMap((l) => ['-schema-location', l])];
  const child = execFile(bin, [...args, ...files], { maxBuffer: 64 * 1024 * 1024 });
  if (options.input !== undefined) child.stdin?.end(options.input);
  else child.stdin?.end();
  const [stdout, code] = await new Promise<[string, number]>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (c) => resolve([out, c ?? 1]));
  });
  const report = JSON.parse(stdout) as {
    resources?: { filename: string; kind: string; name: string; status: string; msg: string }[];
    summary: { valid: number; invalid: number; errors: number; skipped: number };
  };
  const lines = (report.resources ?? [])
    .filter((r) => r.status !== 'statusValid')
    .map(
      (r) =>
        `${r.filename} - ${r.kind} ${r.name} ${r.status === 'statusInvalid' ? 'is invalid' : 'failed'}: ${readable(r.msg)}`,
    );
  const s = report.summary;
  lines.push(
    `Summary: ${s.valid + s.invalid + s.errors + s.skipped} resources found - Valid: ${s.valid}, Invalid: ${s.invalid}, Errors: ${s.errors}, Skipped: ${s.skipped}`,
  );
  return { ok: code === 0 && s.invalid === 0 && s.errors === 0, output: lines.join('\n'), summary: s };
}

/** Drops kubeconform's boilerplate so the line reads `at '/spec/x': got string, want array`. */
function readable(message: string): string {
  return message.replace(
    /^problem validating schema\. Check JSON formatting: jsonschema validation failed with '[^']*' - /,
    '',
  );
}
