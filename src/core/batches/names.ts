import type { BatchDocument, BatchRecord } from './record';

/*
 * How a batch's documents are named under it: by their path inside the folder they share, so a row under
 * `invoices/` reads `0101.pdf`, not `invoices/0101.pdf` again. Pure: URI strings only.
 */

/**
 * The folder (a URI string ending in `/`) that holds every document of the batch: the folder it ran on,
 * else the deepest folder the selected files share. Undefined when there is no document to go by.
 */
export function sharedFolder(batch: Pick<BatchRecord, 'scope' | 'documents'>): string | undefined {
  if (batch.scope?.kind === 'folder') {
    return batch.scope.uri.endsWith('/') ? batch.scope.uri : `${batch.scope.uri}/`;
  }
  const dirs = batch.documents.map(d => d.uri.slice(0, d.uri.lastIndexOf('/') + 1)).filter(Boolean);
  if (!dirs.length || dirs.length !== batch.documents.length) {
    return undefined;
  }
  let common = dirs[0];
  for (const dir of dirs.slice(1)) {
    while (!dir.startsWith(common)) {
      // Back to the parent folder: "file:///w/a/b/" → "file:///w/a/".
      common = common.slice(0, common.lastIndexOf('/', common.length - 2) + 1);
    }
  }
  // Never narrower than a URI's own root ("file:///"): past it, the documents share no folder.
  return !common || /^[a-z][a-z0-9+.-]*:\/*$/i.test(common) ? undefined : common;
}

/** A document's path inside `folder`, decoded ("2024/März.pdf"); undefined when it is not inside it. */
export function pathUnder(folder: string, uri: string): string | undefined {
  if (!uri.startsWith(folder) || uri.length === folder.length) {
    return undefined;
  }
  return uri
    .slice(folder.length)
    .split('/')
    .map(segment => {
      try {
        return decodeURIComponent(segment);
      } catch {
        // A malformed escape is shown as written.
        return segment;
      }
    })
    .join('/');
}

/** The document of the batch a run (or an earlier attempt of it) ran on. */
export function documentOfRun(
  batch: Pick<BatchRecord, 'documents'>,
  run: { id: string; sourceUri?: string },
): BatchDocument | undefined {
  return (
    batch.documents.find(d => d.runId === run.id) ??
    (run.sourceUri === undefined ? undefined : batch.documents.find(d => d.uri === run.sourceUri))
  );
}

/**
 * The folder itself as the documents' labels name it (`invoices/`, workspace-relative), from a document whose
 * label ends with its path inside the folder; undefined at the workspace's root or when the labels say nothing.
 */
export function sharedFolderLabel(batch: Pick<BatchRecord, 'scope' | 'documents'>): string | undefined {
  if (batch.scope?.kind === 'folder') {
    return batch.scope.label;
  }
  const folder = sharedFolder(batch);
  const doc = batch.documents[0];
  const inner = folder && doc ? pathUnder(folder, doc.uri) : undefined;
  if (!doc?.label || !inner || !doc.label.endsWith(`/${inner}`)) {
    return undefined;
  }
  return doc.label.slice(0, doc.label.length - inner.length);
}
