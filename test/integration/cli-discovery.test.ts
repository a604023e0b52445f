/**
 * Same documents in both faces: in the real extension host, the editor's folder search (the function a
 * folder run uses, with VS Code's own merged `files.exclude` and `docutray.batch.exclude`) and the command
 * line's walk (reading the workspace's `.vscode/settings.json` as `docutray-steps` does) find the same
 * documents under a fixture folder.
 */
import * as assert from 'assert';
import * as vscode from 'vscode';
import { findDocuments as editorFind } from '../../src/batches/batchCommands';
import { documentExcludes, findDocuments as cliFind, readSettingsFile } from '../../src/cli/workspace';
import { activate, workspaceFile, writeWorkspaceFile } from './support';

const FOLDER = 'cli-discovery-it';

describe('the command line finds the documents the editor finds', function () {
  this.timeout(60_000);
  // Written to the folder's .vscode/settings.json, the file the command line reads.
  const config = () => vscode.workspace.getConfiguration(undefined, workspaceFile(FOLDER));

  before(async () => {
    await activate();
    const pdf = await vscode.workspace.fs.readFile(workspaceFile('sample.pdf'));
    for (const f of [
      'a.pdf',
      'sub/b.PDF',
      'hidden/c.pdf',
      'skipme/d.pdf',
      'node_modules/e.pdf',
      'f.bak.pdf',
      'g.old.pdf',
      'sub/deeper/h.pdf',
      '.hg/i.pdf',
    ]) {
      await writeWorkspaceFile(`${FOLDER}/${f}`, Buffer.from(pdf));
    }
    await writeWorkspaceFile(`${FOLDER}/notes.txt`, 'not a document');
    await config().update(
      'files.exclude',
      { [`**/${FOLDER}/hidden`]: true, '**/.hg': false },
      vscode.ConfigurationTarget.WorkspaceFolder,
    );
    await config().update(
      'docutray.batch.exclude',
      [`${FOLDER}/skipme/**`, '**/*.{bak,old}.pdf', '**/deeper'],
      vscode.ConfigurationTarget.WorkspaceFolder,
    );
  });

  after(async () => {
    await config().update('files.exclude', undefined, vscode.ConfigurationTarget.WorkspaceFolder);
    await config().update('docutray.batch.exclude', undefined, vscode.ConfigurationTarget.WorkspaceFolder);
    await Promise.resolve(
      vscode.workspace.fs.delete(workspaceFile(FOLDER), { recursive: true, useTrash: false }),
    ).catch(() => undefined);
  });

  it('with the workspace’s files.exclude (merged over VS Code’s default) and docutray.batch.exclude', async () => {
    const root = vscode.workspace.getWorkspaceFolder(workspaceFile(FOLDER))!.uri.fsPath;
    const { uris, unusable } = await editorFind(workspaceFile(FOLDER));
    assert.deepStrictEqual(unusable, []);
    const editor = uris.map(u => vscode.workspace.asRelativePath(u, false)).sort();
    const settings = await readSettingsFile(`${root}/.vscode/settings.json`, true);
    const cli = await cliFind(root, [FOLDER], root, documentExcludes(settings));
    assert.deepStrictEqual(cli, editor);
    // And what that is, so an empty match on both sides cannot pass. node_modules is in: the workspace's
    // docutray.batch.exclude replaces the default that names it.
    assert.deepStrictEqual(editor, [
      `${FOLDER}/.hg/i.pdf`,
      `${FOLDER}/a.pdf`,
      `${FOLDER}/node_modules/e.pdf`,
      `${FOLDER}/sub/b.PDF`,
    ]);
  });
});
