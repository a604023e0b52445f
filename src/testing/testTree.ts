import vscode = require('vscode');
import { l10n } from 'vscode';
import * as settings from '../settings';
import type { ExpectedEntry, ExpectedIndex } from './expectedIndex';

/** Why an expected file's test cannot run, in words (its test item's error). */
export function problemText(entry: ExpectedEntry): string | undefined {
  const p = entry.problem;
  if (!p) {
    return undefined;
  }
  return p.kind === 'invalid'
    ? l10n.t('{0} cannot be used: {1}', entry.path, p.message)
    : l10n.t(
        '{0} is not named as the expected result of step {1}: it should be "<document>.{2}.expected.json", beside the document or at its path under docutray.expected.folder.',
        entry.path,
        entry.stepId ?? '',
        entry.stepId ?? '',
      );
}

/** A step's name as the user configured it, else its id. */
export function stepLabel(stepId: string): string {
  return settings.steps().steps.find(s => s.id === stepId)?.name ?? stepId;
}

/**
 * The Test Explorer's items: the documents that have expected results, by folder (under each workspace
 * folder when several are open), one test per document and step. A test's id is its expected file's URI,
 * its location the top of that file (so the expected file shows a run button in its gutter).
 */
export class ExpectedTestTree {
  private readonly entries = new Map<string, ExpectedEntry>();

  constructor(
    readonly controller: vscode.TestController,
    private readonly index: ExpectedIndex,
  ) {}

  /** The expected file of a test (a document's test, not a folder). */
  entryOf(item: vscode.TestItem): ExpectedEntry | undefined {
    return this.entries.get(item.id);
  }

  /** The test of an expected file, when listed. */
  itemFor(expectedUri: vscode.Uri): vscode.TestItem | undefined {
    const find = (items: vscode.TestItemCollection): vscode.TestItem | undefined => {
      let found: vscode.TestItem | undefined;
      items.forEach(i => {
        found ??= i.id === expectedUri.toString() ? i : find(i.children);
      });
      return found;
    };
    return this.entries.has(expectedUri.toString()) ? find(this.controller.items) : undefined;
  }

  /** Lists what the index holds: new items made, gone ones removed, the others kept as they are. */
  sync(): void {
    const multiRoot = (vscode.workspace.workspaceFolders?.length ?? 0) > 1;
    const seen = new Set<string>();
    this.entries.clear();
    const sorted = this.index.all().sort((a, b) => a.path.localeCompare(b.path));
    for (const entry of sorted) {
      let into = this.controller.items;
      const container = (id: string, label: string, uri: vscode.Uri) => {
        const item = this.child(into, id, label, uri);
        seen.add(id);
        into = item.children;
      };
      const root = entry.folder.uri;
      if (multiRoot) {
        container(`folder:${root.toString()}`, entry.folder.name, root);
      }
      const shown = entry.document ?? entry.path;
      const parts = shown.split('/');
      for (let i = 0; i < parts.length - 1; i++) {
        const dir = parts.slice(0, i + 1);
        container(`dir:${root.toString()}/${dir.join('/')}`, parts[i], vscode.Uri.joinPath(root, ...dir));
      }
      const id = entry.uri.toString();
      const leaf = this.child(into, id, parts[parts.length - 1], entry.uri);
      leaf.description = entry.stepId ? stepLabel(entry.stepId) : undefined;
      leaf.range ??= new vscode.Range(0, 0, 0, 0);
      leaf.error = problemText(entry);
      seen.add(id);
      this.entries.set(id, entry);
    }
    prune(this.controller.items, seen);
  }

  private child(into: vscode.TestItemCollection, id: string, label: string, uri: vscode.Uri): vscode.TestItem {
    const existing = into.get(id);
    if (existing) {
      existing.label = label;
      return existing;
    }
    const item = this.controller.createTestItem(id, label, uri);
    into.add(item);
    return item;
  }

  /** The documents' tests a run request covers (every one when it names none), minus those it leaves out. */
  leavesOf(
    include: readonly vscode.TestItem[] | undefined,
    exclude: readonly vscode.TestItem[] = [],
  ): vscode.TestItem[] {
    const excluded = new Set(exclude.map(i => i.id));
    const out = new Map<string, vscode.TestItem>();
    const walk = (item: vscode.TestItem) => {
      if (excluded.has(item.id)) {
        return;
      }
      if (this.entries.has(item.id)) {
        out.set(item.id, item);
      }
      item.children.forEach(walk);
    };
    if (include) {
      include.forEach(walk);
    } else {
      this.controller.items.forEach(walk);
    }
    return [...out.values()];
  }
}

function prune(items: vscode.TestItemCollection, keep: ReadonlySet<string>): void {
  const gone: string[] = [];
  items.forEach(item => {
    if (keep.has(item.id)) {
      prune(item.children, keep);
    } else {
      gone.push(item.id);
    }
  });
  gone.forEach(id => items.delete(id));
}
