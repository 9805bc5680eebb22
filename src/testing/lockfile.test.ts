/**
 * The committed package-lock.json agrees with package.json (issue 12 item 9): npm install
 * rewrites a lock whose root entry lists other dependencies than package.json, and then every
 * report's commit reads "+dirty" on a fresh clone.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const read = (name: string) => JSON.parse(readFileSync(new URL(`../../${name}`, import.meta.url), 'utf8')) as Record<string, unknown>;

describe('package-lock.json', () => {
  it('its root entry lists exactly the dependencies of package.json, of each kind', () => {
    const pkg = read('package.json');
    const root = (read('package-lock.json').packages as Record<string, Record<string, unknown>>)[''];
    for (const kind of ['dependencies', 'devDependencies', 'optionalDependencies'] as const) {
      expect(root[kind] ?? {}, kind).toEqual(pkg[kind] ?? {});
    }
    expect(root.version).toBe(pkg.version);
  });
});
