/** The manifest and activation: what VS Code shows before anything runs. */
import * as assert from 'assert';
import * as vscode from 'vscode';
import { EXTENSION_ID, activate } from './support';

interface MenuItem {
  command: string;
  when?: string;
  group?: string;
}

describe('extension: manifest and activation', () => {
  const ext = () => {
    const e = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(e, 'extension present');
    return e;
  };

  it('activates and exposes its status API', async () => {
    const api = await activate();
    assert.strictEqual(ext().isActive, true);
    assert.strictEqual(typeof api.status, 'function');
  });

  it('registers every contributed command', async () => {
    await activate();
    const all = new Set(await vscode.commands.getCommands(true));
    const contributed = (ext().packageJSON.contributes.commands as Array<{ command: string }>).map(c => c.command);
    for (const id of [
      'docutray.runStep',
      'docutray.runStepOnUrl',
      'docutray.setApiKey',
      'docutray.clearApiKey',
      'docutray.checkExecution',
      'docutray.configureSteps',
      'docutray.showLog',
    ]) {
      assert.ok(contributed.includes(id), `${id} is contributed`);
    }
    for (const id of contributed) {
      assert.ok(all.has(id), `${id} is registered`);
    }
  });

  it('offers Run DocuTray Step… on PDFs and images only, in the explorer and editor title', () => {
    const pkg = ext().packageJSON;
    const menus = pkg.contributes.menus as Record<string, MenuItem[]>;
    const explorer = menus['explorer/context'].find(m => m.command === 'docutray.runStep');
    assert.ok(explorer?.when, 'explorer/context entry with a when clause');
    assert.match(explorer.when, /!explorerResourceIsFolder/);
    const re = /resourceExtname =~ \/(.+)\/i/.exec(explorer.when);
    assert.ok(re, 'the when clause matches the extension with a regex');
    const matches = (ext: string) => new RegExp(re[1], 'i').test(ext);
    for (const e of ['.pdf', '.PDF', '.png', '.jpg', '.jpeg', '.JPG', '.jpe', '.jfif', '.gif', '.bmp', '.webp']) {
      assert.ok(matches(e), `${e} is offered`);
    }
    for (const e of ['.txt', '.json', '.pdfx', '.svg', '.docx', '.tif', '.tiff']) {
      assert.ok(!matches(e), `${e} is not offered`);
    }
    assert.ok(
      menus['editor/title'].some(m => m.command === 'docutray.runStep'),
      'editor title entry',
    );
    const nls = pkg.contributes.commands.find((c: { command: string }) => c.command === 'docutray.runStep');
    assert.strictEqual(nls.category, 'DocuTray');
  });

  it('keeps the API base URL out of workspace reach', () => {
    const pkg = ext().packageJSON;
    const prop = pkg.contributes.configuration.properties['docutray.apiBaseUrl'];
    assert.strictEqual(prop.scope, 'application');
    const restricted: string[] = pkg.capabilities.untrustedWorkspaces.restrictedConfigurations;
    // An untrusted workspace sets none of what sends data, names steps, or writes files.
    for (const key of [
      'docutray.apiBaseUrl',
      'docutray.documentMetadata',
      'docutray.steps',
      'docutray.saveResults.mode',
      'docutray.saveResults.overwrite',
      'docutray.resultsFolder',
    ]) {
      assert.ok(restricted.includes(key), `${key} is restricted in an untrusted workspace`);
    }
    for (const [key, value] of Object.entries<{ markdownDescription?: string }>(
      pkg.contributes.configuration.properties,
    )) {
      assert.ok(value.markdownDescription, `${key} has a markdownDescription`);
    }
  });
});
