/**
 * The command line finds the documents the editor finds: a folder's PDFs and images less `files.exclude`
 * (merged over VS Code's default, as VS Code merges it) and `docutray.batch.exclude`, matched by the core's
 * one matcher (core/batches/folder.ts) that the editor's folder run applies to its search. On a fixture
 * tree, for several settings files: the command line's walk == every document of the tree filtered by
 * that matcher, and == the list written out by hand. Also `--files-from` and `--shard` as parsed.
 */
import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Readable } from 'node:stream';
import { UsageError, parseCommandLine } from '../../../src/cli/args';
import { ConfigError, documentExcludes, findDocuments, readFileList } from '../../../src/cli/workspace';
import { DEFAULT_BATCH_EXCLUDE, DEFAULT_FILES_EXCLUDE, excludeRules } from '../../../src/core/batches/folder';
import { isSupportedFileName } from '../../../src/core/documents/mime';
import { REPO } from '../../repo';

const TREE = [
  'a.pdf',
  'notes.txt',
  'docs/b.png',
  'docs/c.txt',
  'docs/draft/d.pdf',
  'docs/e.old.pdf',
  'docs/f.bak.pdf',
  'build/g.pdf',
  'node_modules/pkg/h.pdf',
  '.git/objects/i.pdf',
  '.hg/j.pdf',
  'vendor/node_modules/k.pdf',
  'archive/2019/l.jpg',
  'archive/m.PDF',
  'weird/[x] {y}.pdf',
];

/** Every document of the tree (links to folders not entered), filtered by the core's matcher as the editor filters its search. */
function coreDiscovery(root: string, filesExclude: Record<string, unknown>, batchExclude: unknown): string[] {
  const rules = excludeRules(filesExclude, batchExclude);
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, e.name);
      if (e.isDirectory()) {
        walk(full);
      } else if (isSupportedFileName(e.name) && (e.isFile() || e.isSymbolicLink())) {
        out.push(relative(root, full).split('\\').join('/'));
      }
    }
  };
  walk(root);
  return out.filter(p => !rules.excludes(p)).sort();
}

describe('command line: which documents (the editor’s excludes)', () => {
  let root: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'docutray-discovery-'));
    for (const f of TREE) {
      mkdirSync(join(root, f, '..'), { recursive: true });
      writeFileSync(join(root, f), f);
    }
    symlinkSync(join(root, 'docs'), join(root, 'docs-link'), 'dir');
    symlinkSync(join(root, 'a.pdf'), join(root, 'a-link.pdf'), 'file');
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('without settings: VS Code’s default files.exclude and docutray.batch.exclude’s default', async () => {
    const found = await findDocuments(root, ['.'], root, documentExcludes({}));
    assert.deepEqual(found, [
      'a-link.pdf',
      'a.pdf',
      'archive/2019/l.jpg',
      'archive/m.PDF',
      'build/g.pdf',
      'docs/b.png',
      'docs/draft/d.pdf',
      'docs/e.old.pdf',
      'docs/f.bak.pdf',
      'weird/[x] {y}.pdf',
    ]);
    assert.deepEqual(found, coreDiscovery(root, DEFAULT_FILES_EXCLUDE, DEFAULT_BATCH_EXCLUDE));
  });

  it('a settings file: files.exclude merged key by key over the default, docutray.batch.exclude replacing its default', async () => {
    const settings = {
      'files.exclude': { build: true, '**/.hg': false, 'docs/c.txt': true, '**/*.jpg': { when: '$(basename).png' } },
      'docutray.batch.exclude': ['**/*.{old,bak}.pdf', 'archive/**', 'docs/draft'],
    };
    const found = await findDocuments(root, ['.'], root, documentExcludes(settings));
    assert.deepEqual(found, [
      '.hg/j.pdf',
      'a-link.pdf',
      'a.pdf',
      'docs/b.png',
      'node_modules/pkg/h.pdf',
      'vendor/node_modules/k.pdf',
      'weird/[x] {y}.pdf',
    ]);
    // What VS Code hands the editor for the same file: the default with the workspace's keys over it.
    const merged = { ...DEFAULT_FILES_EXCLUDE, build: true, '**/.hg': false, 'docs/c.txt': true };
    assert.deepEqual(found, coreDiscovery(root, merged, settings['docutray.batch.exclude']));
  });

  it('matches patterns from the workspace root when a subfolder is named; a file named by hand is taken', async () => {
    const rules = documentExcludes({ 'docutray.batch.exclude': ['docs/draft/**', '**/*.old.pdf'] });
    assert.deepEqual(await findDocuments(root, ['docs'], root, rules), ['docs/b.png', 'docs/f.bak.pdf']);
    assert.deepEqual(await findDocuments(join(root, 'docs'), ['.'], join(root, 'docs'), rules), [
      'b.png',
      'draft/d.pdf',
      'f.bak.pdf',
    ]);
    assert.deepEqual(
      await findDocuments(root, ['node_modules/pkg/h.pdf', 'docs/e.old.pdf'], root, documentExcludes({})),
      ['docs/e.old.pdf', 'node_modules/pkg/h.pdf'],
    );
    assert.deepEqual(await findDocuments(root, ['node_modules'], root, documentExcludes({})), []);
  });

  it('a pattern the matcher cannot read stops the command, naming it', () => {
    assert.throws(
      () => documentExcludes({ 'docutray.batch.exclude': ['**/*.{pdf,png', 'ok/**'] }),
      (e: Error) => e instanceof ConfigError && e.message.includes('"**/*.{pdf,png"'),
    );
  });

  it('declares the same docutray.batch.exclude default in the manifest as the command line uses', () => {
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {
      contributes: { configuration: { properties: Record<string, { default?: unknown }> }[] | object };
    };
    const sections = Array.isArray(pkg.contributes.configuration)
      ? pkg.contributes.configuration
      : [pkg.contributes.configuration as { properties: Record<string, { default?: unknown }> }];
    const declared = sections.find(s => s.properties['docutray.batch.exclude'])?.properties['docutray.batch.exclude'];
    assert.deepEqual(declared?.default, [...DEFAULT_BATCH_EXCLUDE]);
  });

  it('--files-from: one path per line, from a file or stdin; blank lines and # comments skipped; inside the root', async () => {
    writeFileSync(join(root, 'list.txt'), '# changed documents\n\ndocs/b.png\r\n  a.pdf  \n#a.pdf\n');
    assert.deepEqual(await readFileList('list.txt', root, root), [join(root, 'docs/b.png'), join(root, 'a.pdf')]);
    // Relative to the current folder, not to the list.
    assert.deepEqual(await readFileList('-', root, join(root, 'docs'), Readable.from(['b.png\n', '../a.pdf\n'])), [
      join(root, 'docs/b.png'),
      join(root, 'a.pdf'),
    ]);
    await assert.rejects(
      readFileList('-', root, root, Readable.from(['a.pdf\n../outside.pdf\n'])),
      (e: Error) => e instanceof ConfigError && /line 2: \.\.\/outside\.pdf is not inside/.test(e.message),
    );
    await assert.rejects(
      readFileList('-', root, root, Readable.from(['# nothing\n\n'])),
      (e: Error) => e instanceof ConfigError && /lists no paths/.test(e.message),
    );
    await assert.rejects(
      readFileList('missing.txt', root, root),
      (e: Error) => e instanceof ConfigError && /Cannot read missing\.txt \(--files-from\): ENOENT/.test(e.message),
    );
  });

  it('parses --shard i/n and --files-from; paths may be left out with --files-from', () => {
    const cmd = parseCommandLine(['check', '--step', 's', '--shard', '2/3', '--files-from', '-']);
    assert.ok(cmd.command === 'check');
    assert.deepEqual([cmd.shard, cmd.filesFrom, cmd.paths], [{ index: 2, count: 3 }, '-', []]);
    const run = parseCommandLine(['run', 'docs', '--step', 's', '--shard', '1/1']);
    assert.ok(run.command === 'run');
    assert.deepEqual(run.shard, { index: 1, count: 1 });
    for (const bad of ['0/3', '4/3', '1/0', '2', '1/2/3', 'a/b', '1.5/3', '-1/3', '1/1001', '']) {
      assert.throws(
        () => parseCommandLine(['check', 'docs', '--step', 's', '--shard', bad]),
        UsageError,
        `--shard ${JSON.stringify(bad)}`,
      );
    }
    assert.throws(() => parseCommandLine(['check', '--step', 's']), UsageError, 'no paths, no list');
    assert.throws(() => parseCommandLine(['check', '--step', 's', '--files-from', ' ']), UsageError);
  });
});
