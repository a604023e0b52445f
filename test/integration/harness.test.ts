/**
 * Sanity checks of the test harness itself (test/harness/run-integration.js, run-desktop.js): if these
 * fail, the other suites' results mean nothing. They check the extension host, the fixture workspace
 * (real-vscode/workspace.js), the user settings of the throwaway profile and the DocuTray stand-in.
 */
import * as assert from 'assert';
import * as vscode from 'vscode';

const FIXTURES = ['sample.pdf', 'sample.png', 'photo.jpg', 'factura-ñandú 請求書.pdf', 'notes.txt'];

function env(name: string): string {
  const value = process.env[name];
  assert.ok(value, `${name} is set in the extension host's environment (the runner sets it)`);
  return value;
}

describe('harness', () => {
  it('runs in a Node extension host', () => {
    assert.ok(process.versions.node, 'process.versions.node');
    assert.strictEqual(typeof require, 'function');
    console.log(
      `      host: ${process.env.DOCUTRAY_TEST_HOST ?? '?'}, VS Code ${vscode.version}, Node ${process.version}, ` +
        `uiKind ${vscode.env.uiKind === vscode.UIKind.Web ? 'web' : 'desktop'}, remoteName ${vscode.env.remoteName ?? '-'}`,
    );
  });

  it('is the VS Code run-integration.js started (code-server), with a web UI', function () {
    if (process.env.DOCUTRAY_TEST_HOST !== 'code-server') {
      this.skip();
    }
    assert.strictEqual(vscode.version, env('DOCUTRAY_TEST_VSCODE'));
    assert.strictEqual(vscode.env.uiKind, vscode.UIKind.Web);
    assert.ok(vscode.env.remoteName, 'remoteName is set: the Node extension host runs in the server');
  });

  it('opened the fixture workspace', async () => {
    const folders = vscode.workspace.workspaceFolders ?? [];
    assert.strictEqual(folders.length, 1, 'one workspace folder');
    const root = folders[0].uri;
    for (const name of FIXTURES) {
      const stat = await vscode.workspace.fs.stat(vscode.Uri.joinPath(root, name));
      assert.strictEqual(stat.type, vscode.FileType.File, name);
      assert.ok(stat.size > 0, `${name} is not empty`);
    }
    const head = async (name: string, n: number) =>
      Buffer.from(await vscode.workspace.fs.readFile(vscode.Uri.joinPath(root, name))).subarray(0, n);
    assert.strictEqual((await head('sample.pdf', 5)).toString('latin1'), '%PDF-');
    assert.strictEqual((await head('factura-ñandú 請求書.pdf', 5)).toString('latin1'), '%PDF-');
    assert.deepStrictEqual([...(await head('sample.png', 4))], [0x89, 0x50, 0x4e, 0x47]);
    assert.deepStrictEqual([...(await head('photo.jpg', 3))], [0xff, 0xd8, 0xff]);
  });

  it("has the test profile's user settings (docutray.steps)", () => {
    const steps = vscode.workspace.getConfiguration('docutray').get<Array<{ id: string; name: string }>>('steps') ?? [];
    const ids = steps.map(s => s.id);
    for (const id of ['example-invoice', 'example-receipt', 'example-slow', 'example-failing']) {
      assert.ok(ids.includes(id), `docutray.steps contains ${id} (got ${JSON.stringify(ids)})`);
    }
  });

  it('reaches the DocuTray stand-in with the test key', async () => {
    const standIn = env('DOCUTRAY_STAND_IN_URL');
    const key = env('DOCUTRAY_API_KEY');
    assert.strictEqual(env('DOCUTRAY_BASE_URL'), standIn, 'the extension is pointed at the stand-in');
    const ok = await fetch(`${standIn}/api/usage`, { headers: { authorization: `Bearer ${key}` } });
    assert.ok(ok.ok, `GET /api/usage with the key: HTTP ${ok.status}`);
    await ok.arrayBuffer();
    const bad = await fetch(`${standIn}/api/usage`, { headers: { authorization: 'Bearer not-the-key' } });
    assert.ok(
      bad.status === 401 || bad.status === 403,
      `GET /api/usage with a wrong key is refused (HTTP ${bad.status})`,
    );
    await bad.arrayBuffer();
  });

  it('has the extension under test installed from the repository', () => {
    const ext = vscode.extensions.getExtension('docutray-community.docutray-steps');
    assert.ok(ext, 'docutray-community.docutray-steps is known to the extension host');
  });
});
