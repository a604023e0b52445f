/**
 * A batch's documents named under it by their path inside the folder they share, so its rows show what
 * differs between them and not the folder again.
 */
import * as assert from 'node:assert/strict';
import { documentOfRun, pathUnder, sharedFolder, sharedFolderLabel } from '../../../../src/core/batches/names';
import type { BatchDocument, BatchScope } from '../../../../src/core/batches/record';

const doc = (uri: string, label?: string, runId = uri): BatchDocument => ({ uri, label, runId });
const files = (...docs: BatchDocument[]) => ({
  scope: { kind: 'files', count: docs.length } as BatchScope,
  documents: docs,
});

describe('a batch: the folder its documents share', () => {
  it('is the folder a folder run ran on, with one trailing slash', () => {
    const scope: BatchScope = { kind: 'folder', uri: 'file:///w/invoices', label: 'invoices/' };
    assert.equal(sharedFolder({ scope, documents: [] }), 'file:///w/invoices/');
    assert.equal(
      sharedFolder({ scope: { ...scope, uri: 'file:///w/invoices/' }, documents: [] }),
      'file:///w/invoices/',
    );
    assert.equal(sharedFolderLabel({ scope, documents: [] }), 'invoices/');
  });

  it('is the deepest folder that holds every selected file', () => {
    const b = files(
      doc('file:///w/in/2024/a.pdf', 'in/2024/a.pdf'),
      doc('file:///w/in/2025/b.pdf'),
      doc('file:///w/in/c.pdf'),
    );
    assert.equal(sharedFolder(b), 'file:///w/in/');
    assert.equal(sharedFolderLabel(b), 'in/');
    const same = files(doc('file:///w/in/a.pdf', 'in/a.pdf'), doc('file:///w/in/b.pdf', 'in/b.pdf'));
    assert.equal(sharedFolder(same), 'file:///w/in/');
    assert.equal(sharedFolderLabel(same), 'in/');
  });

  it('does not take a common prefix of names for a folder', () => {
    const b = files(doc('file:///w/invoices/a.pdf'), doc('file:///w/invoices-old/b.pdf'));
    assert.equal(sharedFolder(b), 'file:///w/');
  });

  it('is none past a URI root or across schemes, and no label at the workspace root', () => {
    assert.equal(sharedFolder(files(doc('file:///a.pdf'), doc('file:///b/c.pdf'))), undefined);
    assert.equal(sharedFolder(files(doc('file:///w/a.pdf'), doc('vscode-remote://h/w/a.pdf'))), undefined);
    assert.equal(sharedFolder(files()), undefined);
    assert.equal(sharedFolderLabel(files(doc('file:///w/a.pdf', 'a.pdf'), doc('file:///w/b.pdf', 'b.pdf'))), undefined);
  });
});

describe('a batch: a document named inside its folder', () => {
  it('is its decoded path under the folder', () => {
    assert.equal(pathUnder('file:///w/in/', 'file:///w/in/2024/M%C3%A4rz%20a.pdf'), '2024/März a.pdf');
    assert.equal(pathUnder('file:///w/in/', 'file:///w/in/bad%E0.pdf'), 'bad%E0.pdf');
  });

  it('is nothing for a document outside the folder, or the folder itself', () => {
    assert.equal(pathUnder('file:///w/in/', 'file:///w/out/a.pdf'), undefined);
    assert.equal(pathUnder('file:///w/in/', 'file:///w/in/'), undefined);
  });

  it("finds a run's document by its run id, or an earlier attempt's by its source", () => {
    const b = { documents: [doc('file:///w/a.pdf', 'a.pdf', 'b.0'), doc('file:///w/b.pdf', 'b.pdf', 'b.1~2')] };
    assert.equal(documentOfRun(b, { id: 'b.0' })?.uri, 'file:///w/a.pdf');
    assert.equal(documentOfRun(b, { id: 'b.1', sourceUri: 'file:///w/b.pdf' })?.runId, 'b.1~2');
    assert.equal(documentOfRun(b, { id: 'other', sourceUri: 'file:///w/c.pdf' }), undefined);
  });
});
