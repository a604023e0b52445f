import vscode = require('vscode');
import { l10n } from 'vscode';
import { parseExpected, serializeExpected } from '../core/expected/expectedFile';
import { SaveRefusedError } from '../core/files/containment';
import { type StoredResult, parseResultLocation } from '../core/results/storedResult';
import type { RunRecord } from '../core/runs/history';
import { fileTarget } from '../runs/runTargets';
import * as settings from '../settings';
import { documentPages, pagesText } from '../documents/pages';
import { plainText } from '../core/text/plainText';
import { RESULT_SCHEME } from '../results/resultScheme';
import { fileName, sourceUri } from '../documents/documentSource';
import type { Log } from '../log';
import type { ResultStore } from '../results/resultStore';
import type { RunService } from '../runs/runService';
import type { ExpectedTests } from './expectedTests';
import { documentSha256 } from './documents';
import { expectedUriFor } from './expectedIndex';
import { writeExpectedFile } from './expectedWriter';
import { stepLabel } from './testTree';
import { isBatchNode } from '../batches/batchNode';
import { listNames } from '../batches/batchMessages';

/** What accepting a result uses: its stored result, the runs it came from, the tests it turns green. */
interface Deps {
  log: Log;
  results: ResultStore;
  runs: RunService;
  expected: ExpectedTests;
}

/** What is recorded: a result of a step on a workspace document. */
export interface Accepted {
  documentUri: vscode.Uri;
  stepId: string;
  result: unknown;
  /** SHA-256 of the document the result is of, when known: the document must still be that one. */
  sha256?: string;
  executionId?: string;
}

export interface AcceptOutcome {
  /** The expected file. */
  uri: string;
  /** Workspace-relative. */
  path: string;
  /** `exists`: one of several, left as it was (it had an expected result already). */
  status: 'created' | 'updated' | 'exists';
}

/** The arguments of a `testing/message/*` menu command. */
interface TestMessageArgs {
  test?: vscode.TestItem;
  message: vscode.TestMessage;
}

function isTestMessageArgs(arg: unknown): arg is TestMessageArgs {
  return !!arg && typeof arg === 'object' && typeof (arg as { message?: unknown }).message === 'object';
}

function isRunRecord(arg: unknown): arg is RunRecord {
  return !!arg && typeof arg === 'object' && 'id' in arg && 'state' in arg;
}

/** A stored result as something to record: a SUCCESS of a step on a workspace document. */
export function fromStored(result: StoredResult | undefined, run?: RunRecord): Accepted {
  if (!result) {
    throw new Error(l10n.t('The result is no longer stored. Run the step again to get it.'));
  }
  if (result.status !== 'SUCCESS') {
    throw new Error(l10n.t('Only a successful result can be an expected result.'));
  }
  if (result.dataText !== undefined) {
    throw new Error(l10n.t('This result is too deeply nested to record as an expected result.'));
  }
  const documentUri = result.source.kind === 'workspace' ? sourceUri(result.source)?.uri : undefined;
  if (!documentUri) {
    throw new Error(
      l10n.t('Expected results are kept beside documents in the workspace; this result is of {0}.', result.sourceName),
    );
  }
  return {
    documentUri,
    stepId: result.stepId,
    result: result.data ?? null,
    sha256: run?.sha256,
    executionId: result.executionId,
  };
}

/** The result an Accept or Create was given: a failed test's, a run's in the Runs view, or a result editor's. */
export async function acceptedFrom(s: Deps, arg: unknown): Promise<Accepted> {
  if (isTestMessageArgs(arg)) {
    const entry = arg.test && s.expected.entryOfTest(arg.test);
    if (!arg.test || !entry?.stepId || !entry.documentUri) {
      throw new Error(l10n.t('This test is no longer listed: run it again.'));
    }
    const last = s.expected.lastResults.get(arg.test.id);
    if (last && (arg.message.actualOutput === undefined || arg.message.actualOutput === last.actualText)) {
      return {
        documentUri: entry.documentUri,
        stepId: entry.stepId,
        result: last.data,
        sha256: last.sha256,
        executionId: last.executionId,
      };
    }
    if (arg.message.actualOutput === undefined) {
      throw new Error(l10n.t('There is no result of this test to accept: run it again.'));
    }
    // A failure shown from before a reload: the result it shows, of the document its expected file names.
    const expected = parseExpected(new TextDecoder().decode(await vscode.workspace.fs.readFile(entry.uri)));
    return {
      documentUri: entry.documentUri,
      stepId: entry.stepId,
      result: JSON.parse(arg.message.actualOutput) as unknown,
      sha256: expected.sha256,
    };
  }
  if (isRunRecord(arg)) {
    const run = await s.runs.history.get(arg.id);
    const result = run?.executionId ? await s.results.get(run.executionId) : undefined;
    return fromStored(result, run);
  }
  const uri = arg instanceof vscode.Uri ? arg : vscode.window.activeTextEditor?.document.uri;
  const parsed = uri?.scheme === RESULT_SCHEME ? parseResultLocation(uri.path, uri.query) : undefined;
  if (!parsed) {
    throw new Error(l10n.t('Open a DocuTray result, or pick a run in the DocuTray Runs view.'));
  }
  return fromStored(await s.results.get(parsed.executionId), await s.runs.history.findByExecution(parsed.executionId));
}

/**
 * Accept as Expected (a failed test, a result editor, a run) and Create Expected Result (a result of a
 * document without one): writes the result as the document's expected result for its step, inside the
 * workspace folder that holds the document. The document must still be the one the result is of.
 */
export async function recordExpected(
  s: Deps,
  arg: unknown,
  intent: 'accept' | 'create',
): Promise<AcceptOutcome | undefined> {
  return writeAccepted(s, await acceptedFrom(s, arg), intent, false);
}

/** Writes one result as its document's expected result; `many`: no question and no message of its own. */
async function writeAccepted(
  s: Deps,
  accepted: Accepted,
  intent: 'accept' | 'create',
  many: boolean,
): Promise<AcceptOutcome | undefined> {
  const target = expectedUriFor(accepted.documentUri, accepted.stepId);
  if ('refused' in target) {
    throw new Error(
      target.refused === 'notInWorkspace'
        ? l10n.t(
            '{0} is in no workspace folder open in this window: its expected result would have no place to go.',
            fileName(accepted.documentUri),
          )
        : target.message,
    );
  }
  let sha256: string;
  try {
    sha256 = await documentSha256(accepted.documentUri);
  } catch {
    throw new Error(l10n.t('The document {0} is not there or cannot be read.', target.document));
  }
  if (accepted.sha256 && accepted.sha256 !== sha256) {
    throw new Error(
      l10n.t(
        '{0} changed since this result was made: run the step on it again and accept that result.',
        target.document,
      ),
    );
  }
  const text = serializeExpected({
    stepId: accepted.stepId,
    document: fileName(accepted.documentUri),
    sha256,
    result: accepted.result,
  });
  let status: 'created' | 'updated' | 'exists';
  try {
    status = await writeExpectedFile(target, text, intent === 'create' ? 'create' : 'createOrReplace');
    if (status === 'exists' && many) {
      return { uri: target.uri.toString(), path: target.path, status: 'exists' };
    }
    if (status === 'exists') {
      const replace = l10n.t('Replace');
      const answer = await vscode.window.showWarningMessage(
        l10n.t('{0} has an expected result already. Replace it with this result?', plainText(target.path)),
        { modal: true },
        replace,
      );
      if (answer !== replace) {
        return undefined;
      }
      status = await writeExpectedFile(target, text, 'createOrReplace');
    }
  } catch (e) {
    if (e instanceof SaveRefusedError) {
      s.log.scoped('expected').warn(`not written: ${e.message}`);
      throw new Error(
        l10n.t(
          '{0} was not written: the place it would go leads out of the workspace folder, or is a link.',
          target.path,
        ),
      );
    }
    throw e;
  }
  const done = status === 'exists' ? 'updated' : status;
  s.log
    .scoped('expected')
    .info(
      `${done} ${target.path}${accepted.executionId ? ` from execution ${accepted.executionId}` : ''} (step ${accepted.stepId})`,
    );
  await s.expected.written(target.uri, accepted.result, sha256);
  if (many) {
    return { uri: target.uri.toString(), path: target.path, status: done };
  }
  const open = l10n.t('Open');
  void vscode.window
    .showInformationMessage(
      done === 'created'
        ? l10n.t(
            'DocuTray: recorded the expected result of {0} for {1} in {2}.',
            plainText(target.document),
            plainText(stepLabel(accepted.stepId)),
            plainText(target.path),
          )
        : l10n.t(
            'DocuTray: updated the expected result of {0} for {1} in {2}.',
            plainText(target.document),
            plainText(stepLabel(accepted.stepId)),
            plainText(target.path),
          ),
      open,
    )
    .then(c => (c === open ? vscode.window.showTextDocument(target.uri, { preview: false }) : undefined));
  return { uri: target.uri.toString(), path: target.path, status: done };
}

/** What several records came to: one message for all, naming what was not recorded and why. */
export interface ManyOutcome {
  recorded: AcceptOutcome[];
  existing: string[];
  failed: { name: string; reason: string }[];
}

async function recordMany(
  s: Deps,
  items: readonly { name: string; accepted: () => Promise<Accepted> }[],
  intent: 'accept' | 'create',
  notRecordable: readonly { name: string; reason: string }[] = [],
): Promise<ManyOutcome> {
  const out: ManyOutcome = { recorded: [], existing: [], failed: [...notRecordable] };
  for (const item of items) {
    try {
      const outcome = await writeAccepted(s, await item.accepted(), intent, true);
      if (outcome?.status === 'exists') {
        out.existing.push(outcome.path);
      } else if (outcome) {
        out.recorded.push(outcome);
      }
    } catch (e) {
      out.failed.push({ name: item.name, reason: e instanceof Error ? e.message : String(e) });
    }
  }
  const parts = [
    out.recorded.length
      ? l10n.t('DocuTray: recorded {0}.', listNames(out.recorded.map(o => o.path)))
      : l10n.t('DocuTray: no expected result recorded.'),
  ];
  if (out.existing.length) {
    parts.push(l10n.t('Already recorded, left as they were: {0}.', listNames(out.existing)));
  }
  if (out.failed.length) {
    parts.push(
      l10n.t('Not recorded: {0}', out.failed.map(f => `${plainText(f.name)}: ${plainText(f.reason)}`).join(' ')),
    );
  }
  const show = out.failed.length ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
  void show(parts.join(' '));
  return out;
}

/**
 * The runs a Runs view command was given: the clicked one and the selected ones, a batch as its runs; and
 * the batch documents that have no result of their own to record, to be named rather than left out silently.
 */
async function runsOf(
  s: Deps,
  arg: unknown,
  selected: unknown,
): Promise<{ runs: RunRecord[]; noResult: { name: string; reason: string }[] }> {
  const picked = Array.isArray(selected) && selected.length ? selected : [arg];
  const runs: RunRecord[] = [];
  const noResult: { name: string; reason: string }[] = [];
  for (const p of picked) {
    if (isBatchNode(p)) {
      for (const d of p.batch.documents) {
        const run = d.reused ? undefined : await s.runs.history.get(d.runId);
        if (run?.state === 'SUCCESS') {
          runs.push(run);
        } else {
          noResult.push({
            name: d.label ?? run?.sourceName ?? d.uri,
            reason: d.reused
              ? l10n.t('its result is reused from an earlier run: create it from that run.')
              : l10n.t('this batch has no result for it.'),
          });
        }
      }
    } else if (isRunRecord(p)) {
      runs.push(p);
    }
  }
  return { runs: [...new Map(runs.map(r => [r.id, r])).values()], noResult };
}

/**
 * Create Expected Result on one run (or a result editor) records it; on several selected runs or a batch it
 * records each one that has none yet, and one message says what was recorded, what was there already and
 * what could not be (never one recorded and another skipped without a word).
 */
export async function createExpected(s: Deps, arg: unknown, selected?: unknown): Promise<unknown> {
  const several = (Array.isArray(selected) && selected.length > 1) || isBatchNode(arg);
  if (!several) {
    return recordExpected(s, arg, 'create');
  }
  const { runs, noResult } = await runsOf(s, arg, selected);
  return recordMany(
    s,
    runs.map(run => ({ name: run.sourceName, accepted: () => acceptedFrom(s, run) })),
    'create',
    noResult,
  );
}

/** Accept All Failures: every test the last check failed with a result, its result recorded as expected. */
export async function acceptAllFailures(s: Deps): Promise<ManyOutcome | undefined> {
  const failures = s.expected.failedTests();
  if (!failures.length) {
    void vscode.window.showInformationMessage(l10n.t('DocuTray: the last check has no failure to accept.'));
    return undefined;
  }
  const accept = l10n.t('Accept All');
  const answer = await vscode.window.showWarningMessage(
    failures.length === 1
      ? l10n.t('Replace the expected result of {0} with what the last check got?', plainText(failures[0].name))
      : l10n.t('Replace the expected results of {0} documents with what the last check got?', failures.length),
    {
      modal: true,
      // One document is named in the question already; several are listed here.
      detail:
        failures.length === 1
          ? l10n.t('Nothing is run again or billed.')
          : l10n.t('Nothing is run again or billed. {0}', listNames(failures.map(f => f.name))),
    },
    accept,
  );
  if (answer !== accept) {
    return undefined;
  }
  return recordMany(
    s,
    failures.map(f => ({ name: f.name, accepted: () => acceptedFrom(s, { test: f.item, message: {} }) })),
    'accept',
  );
}

/**
 * Record Again, on a document that changed since its expected result was recorded: asks first (it runs the
 * step, and DocuTray bills it), then runs the step on the document as it is now and records that result.
 */
export async function recordAgain(s: Deps, arg: unknown): Promise<AcceptOutcome | undefined> {
  const entry = isTestMessageArgs(arg) && arg.test ? s.expected.entryOfTest(arg.test) : undefined;
  if (!entry?.stepId || !entry.documentUri) {
    throw new Error(l10n.t('This test is no longer listed: run it again.'));
  }
  const step = settings.steps().steps.find(st => st.id === entry.stepId) ?? { id: entry.stepId, name: entry.stepId };
  const go = l10n.t('Run and Record');
  const answer = await vscode.window.showWarningMessage(
    l10n.t(
      'Run {0} on {1} again and record its result as the expected result? DocuTray bills {2}.',
      plainText(stepLabel(entry.stepId)),
      plainText(entry.document ?? fileName(entry.documentUri)),
      pagesText(await documentPages([entry.documentUri])),
    ),
    { modal: true },
    go,
  );
  if (answer !== go) {
    return undefined;
  }
  const [outcome] = await s.runs.run([fileTarget(entry.documentUri)], step);
  if (!outcome?.run || !outcome.result) {
    return undefined; // the run said why, as every run does
  }
  return recordExpected(s, outcome.run, 'accept');
}
