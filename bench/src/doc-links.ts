/**
 * Relative links of the repository's markdown (README.md, docs/, the packages' and the fault
 * suite's readmes): each must name a file that exists and, with `#anchor`, one of its headings.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

export interface BrokenLink {
  file: string;
  target: string;
  reason: string;
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
export function slugOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/`/g, '')
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The markdown without fenced code blocks and inline code, where brackets are not links. */
function prose(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '').replace(/`[^`\n]*`/g, '');
}

export function headingsOf(markdown: string): Set<string> {
  const slugs = new Set<string>();
  for (const match of prose(markdown).matchAll(/^#{1,6}\s+(.+)$/gm)) {
    const base = slugOf(match[1] ?? '');
    let slug = base;
    for (let n = 1; slugs.has(slug); n++) slug = `${base}-${n}`;
    slugs.add(slug);
  }
  return slugs;
}

export function linksOf(markdown: string): string[] {
  return [...prose(markdown).matchAll(/!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map(
    (match) => match[1] ?? '',
  );
}

const external = /^([a-z][a-z0-9+.-]*:|\/\/)/i;

/** Every broken relative link of `file` (an absolute path), named relative to `root`. */
export function brokenLinks(root: string, file: string): BrokenLink[] {
  const markdown = readFileSync(file, 'utf8');
  const name = relative(root, file);
  const broken: BrokenLink[] = [];
  for (const target of linksOf(markdown)) {
    if (external.test(target)) continue;
    const [path = '', anchor] = target.split('#');
    const resolved = path === '' ? file : resolve(dirname(file), decodeURIComponent(path));
    if (!existsSync(resolved)) {
      broken.push({ file: name, target, reason: 'no such file' });
      continue;
    }
    if (anchor && resolved.endsWith('.md') && statSync(resolved).isFile()) {
      const own = resolved === file ? markdown : readFileSync(resolved, 'utf8');
      if (!headingsOf(own).has(anchor))
        broken.push({ file: name, target, reason: 'no such heading' });
    }
  }
  return broken;
}

/** The markdown files whose links are checked. */
export function documentedFiles(root: string): string[] {
  const inDir = (dir: string) =>
    existsSync(join(root, dir))
      ? readdirSync(join(root, dir))
          .filter((name) => name.endsWith('.md'))
          .map((name) => join(root, dir, name))
      : [];
  const packageReadmes = readdirSync(join(root, 'packages'))
    .map((name) => join(root, 'packages', name, 'README.md'))
    .filter((path) => existsSync(path));
  return [
    join(root, 'README.md'),
    ...inDir('docs'),
    join(root, 'faults/README.md'),
    ...packageReadmes,
  ];
}
