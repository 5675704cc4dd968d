// Every relative link in README.md and docs/**/*.md must lead somewhere: a file that exists, and,
// for `page.md#anchor`, a heading of that page (GitHub's anchors). A moved page or a renamed
// heading then fails here instead of leaving a reader at a dead end.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, it } from 'node:test';

const root = join(__dirname, '..', '..');

function markdownFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return markdownFiles(path);
    return path.endsWith('.md') ? [path] : [];
  });
}

/** The text a reader sees as prose: fenced blocks and inline code cannot hold links. */
function prose(markdown: string): string {
  return markdown.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '');
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  const withoutFences = markdown.replace(/^```[\s\S]*?^```/gm, '');
  for (const [, heading] of withoutFences.matchAll(/^#{1,6}\s+(.+?)\s*#*$/gm)) {
    const slug = heading
      .toLowerCase()
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/** `[text](target)` links of a page that point into the repository (not http:, mailto:, ...). */
function relativeLinks(markdown: string): string[] {
  return [...prose(markdown).matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)]
    .map(([, target]) => target)
    .filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target));
}

function brokenLinks(file: string): string[] {
  const markdown = readFileSync(file, 'utf8');
  const broken: string[] = [];
  for (const link of relativeLinks(markdown)) {
    const [path, anchor] = link.split('#', 2);
    const target = path === '' ? file : join(dirname(file), decodeURIComponent(path));
    if (!existsSync(target)) {
      broken.push(`${link}: no such file`);
      continue;
    }
    if (anchor === undefined || !target.endsWith('.md')) continue;
    if (!anchorsOf(readFileSync(target, 'utf8')).has(anchor))
      broken.push(`${link}: ${relative(root, target)} has no heading #${anchor}`);
  }
  return broken.map((b) => `${relative(root, file)}: ${b}`);
}

describe('links in the README and docs/', () => {
  it('anchors are the ones GitHub makes', () => {
    const anchors = anchorsOf(
      '# Saga or 2PC?\n## 2PC: the API\n## `npm start` and the demo\n## 2PC: the API\n',
    );
    assert.deepEqual(
      [...anchors],
      ['saga-or-2pc', '2pc-the-api', 'npm-start-and-the-demo', '2pc-the-api-1'],
    );
  });

  it('relative links are told apart from web links and code', () => {
    const links = relativeLinks(
      '[a](docs/x.md#y) [b](https://example.com) `[c](not/a/link.md)`\n```\n[d](nor/this.md)\n```\n[e](#here)',
    );
    assert.deepEqual(links, ['docs/x.md#y', '#here']);
  });

  it('every relative link resolves to a file and heading', () => {
    const files = [join(root, 'README.md'), ...markdownFiles(join(root, 'docs'))];
    assert.ok(files.length > 5, 'the docs pages are found');
    assert.deepEqual(files.flatMap(brokenLinks), []);
  });
});
