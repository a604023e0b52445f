/**
 * Where results are saved as files (src/core/results/saveTarget.ts), on a real directory with real
 * symbolic links: only inside the workspace folder that holds the source, never through a link.
 */
import * as assert from 'assert';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  lstatSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  SaveRefusedError,
  ensureFolderInside,
  entryAt,
  isInside,
  writeResultFile,
} from '../../../../src/core/files/containment';
import { planSaveFolder } from '../../../../src/core/results/saveTarget';

const posixOnly = process.platform === 'win32' ? it.skip : it;

describe('saving results only where they belong', () => {
  let base: string;
  let ws: string;
  let outside: string;
  beforeEach(() => {
    base = realpathSync(mkdtempSync(join(tmpdir(), 'docutray-save-')));
    ws = join(base, 'ws');
    outside = join(base, 'elsewhere');
    mkdirSync(join(ws, 'docs'), { recursive: true });
    mkdirSync(outside);
  });
  afterEach(() => rmSync(base, { recursive: true, force: true }));

  it('plans inside the folder that holds the source, and nowhere for a source in no open folder', () => {
    assert.deepStrictEqual(planSaveFolder('besideSource', join(ws, 'docs', 'a.pdf'), ws, 'r'), {
      folder: join(ws, 'docs'),
    });
    assert.deepStrictEqual(planSaveFolder('folder', join(ws, 'docs', 'a.pdf'), ws, 'docutray-results'), {
      folder: join(ws, 'docutray-results'),
    });
    assert.ok(
      'refused' in planSaveFolder('folder', join(base, 'other', 'a.pdf'), undefined, 'docutray-results'),
      'no folder of this window holds it',
    );
    assert.ok(
      'refused' in planSaveFolder('folder', join(base, 'other', 'a.pdf'), ws, 'docutray-results'),
      'a folder that does not hold it',
    );
  });

  it('refuses a results folder that leaves the workspace folder', () => {
    for (const rf of ['../escaped', 'a/../../b', '..', '/etc', 'C:\\\\x', 'a\\\\..\\\\..\\\\b', '']) {
      assert.ok('refused' in planSaveFolder('folder', join(ws, 'a.pdf'), ws, rf), rf);
    }
    assert.strictEqual(isInside(ws, join(ws, '..foo')), true, 'a name starting with two dots is inside');
    assert.strictEqual(isInside(ws, join(ws, '..', 'x')), false);
  });

  posixOnly('refuses a folder on the way that is a link out of the workspace, creating nothing there', async () => {
    symlinkSync(outside, join(ws, 'out'));
    await assert.rejects(ensureFolderInside(ws, join(ws, 'out', 'results')), SaveRefusedError);
    assert.deepStrictEqual(readdirSync(outside), []);
    assert.strictEqual(
      await ensureFolderInside(ws, join(ws, 'docutray-results', 'deep')),
      join(ws, 'docutray-results', 'deep'),
    );
  });

  posixOnly('never writes through a link at the file name, nor replaces it', async () => {
    const victim = join(outside, 'x.json');
    writeFileSync(victim, 'not yours');
    const link = join(ws, 'docs', 'inv.pdf.step.json');
    symlinkSync(victim, link);
    assert.strictEqual(await entryAt(link), 'link');
    assert.strictEqual(
      await writeResultFile(link, '{}', 'create'),
      false,
      'an exclusive create does not follow a link',
    );
    await assert.rejects(writeResultFile(link, '{}', 'replace'), SaveRefusedError);
    assert.strictEqual(readFileSync(victim, 'utf8'), 'not yours');
    assert.ok(lstatSync(link).isSymbolicLink());
    const dangling = join(ws, 'docs', 'dangling.json');
    symlinkSync(join(outside, 'new.json'), dangling);
    assert.strictEqual(await writeResultFile(dangling, '{}', 'create'), false, 'nor a dangling one');
    assert.deepStrictEqual(readdirSync(outside), ['x.json']);
  });

  it('creates a new file, and replaces a regular one whole', async () => {
    const file = join(ws, 'docs', 'a.json');
    assert.strictEqual(await writeResultFile(file, '{"a":1}', 'create'), true);
    assert.strictEqual(await writeResultFile(file, '{"a":2}', 'create'), false, 'create never overwrites');
    assert.strictEqual(await writeResultFile(file, '{"a":3}', 'replace'), true);
    assert.strictEqual(readFileSync(file, 'utf8'), '{"a":3}');
    assert.deepStrictEqual(readdirSync(join(ws, 'docs')), ['a.json'], 'no temporary file left');
  });
});
