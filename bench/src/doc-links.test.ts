import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { brokenLinks, documentedFiles, headingsOf, linksOf, slugOf } from './doc-links.js';

const root = resolve(import.meta.dirname, '../..');

describe('the repository documentation', () => {
  it('given README.md, docs/ and the readmes, every relative link names a file and heading that exist', () => {
    const files = documentedFiles(root);
    expect(files.length).toBeGreaterThan(5);
    expect(files.flatMap((file) => brokenLinks(root, file))).toEqual([]);
  });
});

describe('links and headings', () => {
  it('finds links and images outside code, not inside code blocks or inline code', () => {
    const markdown = [
      'See [the docs](docs/a.md#b) and ![a picture](x.png "title").',
      '`[not](a-link.md)`',
      '```sh',
      '[nor](this.md)',
      '```',
      '[external](https://example.com)',
    ].join('\n');
    expect(linksOf(markdown)).toEqual(['docs/a.md#b', 'x.png', 'https://example.com']);
  });

  it('names headings as GitHub anchors them, repeats numbered', () => {
    expect(slugOf('The completion ledger: one notification per order')).toBe(
      'the-completion-ledger-one-notification-per-order',
    );
    expect(slugOf('The database: MySQL, MariaDB or embedded')).toBe(
      'the-database-mysql-mariadb-or-embedded',
    );
    expect([...headingsOf('# A\n## A\n```\n# not a heading\n```\n')]).toEqual(['a', 'a-1']);
  });
});
