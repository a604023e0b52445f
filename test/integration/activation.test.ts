/**
 * Activation registers and nothing more: dist/runtime.js (the API client, runs, results, the views'
 * contents) is loaded on first use. Runs right after the harness check, before any other test uses the
 * extension (index.ts orders it so).
 */
import * as assert from 'assert';
import * as path from 'path';
import * as vscode from 'vscode';
import { activate } from './support';

const RUNTIME = path.join('dist', 'runtime.js');
const runtimeLoaded = () => Object.keys(require.cache).some(k => k.endsWith(RUNTIME));

describe('activation: registers only, loads the rest on first use', () => {
  it('activates without loading dist/runtime.js, with every command already registered', async () => {
    await activate();
    const all = new Set(await vscode.commands.getCommands(true));
    assert.ok(all.has('docutray.runStep') && all.has('docutray.runs.refresh'), 'commands registered at activation');
    assert.ok(
      Object.keys(require.cache).some(k => k.endsWith(path.join('dist', 'extension.js'))),
      'dist/extension.js is in the module cache (the check looks in the right place)',
    );
    assert.strictEqual(runtimeLoaded(), false, 'dist/runtime.js was loaded at activation');
  });

  it('loads dist/runtime.js on the first use', async () => {
    const api = await activate();
    assert.strictEqual(api.status().state, 'idle');
    assert.strictEqual(runtimeLoaded(), true, 'dist/runtime.js is loaded once something needs it');
  });
});
