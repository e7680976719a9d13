import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const CORE = join(import.meta.dirname, '../../src/core');
/** Modules that are sockets, or carry them: the core reaches a client only through connection.ts. */
const SOCKET_MODULES = new Set(['net', 'node:net', 'tls', 'node:tls', 'dgram', 'node:dgram', 'http', 'node:http', 'ws']);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

/** Every module specifier in `source`: static imports and re-exports (type-only ones too), and dynamic imports. */
function importedModules(source: string): string[] {
  const specifiers: string[] = [];
  for (const match of source.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s+['"]([^'"]+)['"]/gms))
    specifiers.push(match[1]!);
  for (const match of source.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm)) specifiers.push(match[1]!);
  for (const match of source.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) specifiers.push(match[1]!);
  return specifiers;
}

describe('core/ knows no sockets', () => {
  it('reads the import lines it checks (the parser finds imports of every kind)', () => {
    const sample = [
      "import type { Socket } from 'node:net';",
      "import {\n  a,\n  b,\n} from 'ws';",
      "export { x } from './x.js';",
      "import 'node:tls';",
      "const m = await import('node:http');",
    ].join('\n');
    expect(importedModules(sample)).toEqual(['node:net', 'ws', './x.js', 'node:tls', 'node:http']);
  });

  it('no file under src/core imports node:net, ws or another socket module', () => {
    const files = sourceFiles(CORE);
    expect(files.length).toBeGreaterThan(10);
    const offenders = files.flatMap((file) =>
      importedModules(readFileSync(file, 'utf8'))
        .filter((specifier) => SOCKET_MODULES.has(specifier))
        .map((specifier) => `${relative(CORE, file)} imports ${specifier}`),
    );
    expect(offenders).toEqual([]);
  });
});
