import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { appRouter } from './index.js';

/** The rows of docs/api.md's procedure table: name → kind. */
function documentedProcedures(): Record<string, string> {
  const text = readFileSync(new URL('../../../../docs/api.md', import.meta.url), 'utf8');
  const section = text.slice(text.indexOf('## tRPC procedures'), text.indexOf('## HTTP routes'));
  const rows = [...section.matchAll(/^\|\s*`([\w.]+)`\s*\|\s*(\w+)/gm)];
  return Object.fromEntries(rows.map(([, name, kind]) => [name, kind]));
}

describe('appRouter', () => {
  it('docs/api.md lists every procedure with its kind, and no other', () => {
    const procedures = Object.fromEntries(
      Object.entries(appRouter._def.procedures).map(([path, procedure]) => [
        path,
        (procedure as { _def: { type: string } })._def.type,
      ]),
    );
    expect(documentedProcedures()).toEqual(procedures);
  });
});
