/**
 * The k6 scenarios (apps/loadgen/k6/*.js) are plain JavaScript that k6 runs as-is, so no
 * build checks them: this runs tsc over them (allowJs + checkJs against @types/k6, through
 * their JSDoc) and, on a fixture with a deliberate mistake, shows the check would fail.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const TSC = fileURLToPath(new URL('../../../node_modules/typescript/bin/tsc', import.meta.url));

function tsc(project: string) {
  const result = spawnSync(process.execPath, [TSC, '-p', project], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  return { code: result.status, output: `${result.stdout ?? ''}${result.stderr ?? ''}` };
}

describe('k6 scenarios type-check', () => {
  it('passes tsc with checkJs against the k6 type definitions', () => {
    const { code, output } = tsc('apps/loadgen/k6/tsconfig.json');
    expect(output).toBe('');
    expect(code).toBe(0);
  });

  it('fails on a script that misuses the k6 API, so a passing check means something', () => {
    const { code, output } = tsc('apps/loadgen/test/fixtures/k6-type-error/tsconfig.json');
    expect(code).not.toBe(0);
    expect(output).toContain('wrong-api.js');
    expect(output).toContain('TS2345');
  });
});
