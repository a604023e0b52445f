/**
 * Failures: each gives one message that names the fix, with buttons; the key is asked for when
 * missing; workspace settings cannot redirect the key; the key never reaches the log.
 */
import * as assert from 'assert';
import * as vscode from 'vscode';
import type { RunOutcome } from '../../src/runs/runService';
import {
  captureMessages,
  closeAllEditors,
  patch,
  readExtensionLog,
  sleep,
  standIn,
  standInUrl,
  useTestSteps,
  waitFor,
  workspaceFile,
  writeWorkspaceFile,
} from './support';

async function runAndCapture(stepId: string, uri: vscode.Uri) {
  const messages = captureMessages();
  try {
    const outcomes = await vscode.commands.executeCommand<RunOutcome[] | undefined>('docutray.runStep', {
      stepId,
      uris: [uri],
    });
    // The message is shown without waiting for the user; give it a tick.
    await sleep(50);
    return { outcomes, shown: messages.shown };
  } finally {
    messages.restore();
  }
}

/** The error kind of a single-run outcome; fails readably when the command returned nothing. */
function errorKind(outcomes: RunOutcome[] | undefined): string | undefined {
  assert.ok(outcomes?.length, 'the command returned no outcome: it failed before running (see the message it showed)');
  return (outcomes[0].error as { kind?: string } | undefined)?.kind;
}

function only(shown: Array<{ severity: string; message: string; items: string[] }>) {
  const errors = shown.filter(m => m.severity !== 'info');
  assert.strictEqual(errors.length, 1, `exactly one message: ${JSON.stringify(shown)}`);
  return errors[0];
}

describe('errors and the API key', function () {
  this.timeout(60000);
  const key = process.env.DOCUTRAY_API_KEY;

  useTestSteps();
  afterEach(async () => {
    process.env.DOCUTRAY_API_KEY = key;
    await standIn.clearFaults();
    await closeAllEditors();
  });

  it('asks for a missing key in a password box, checks it, saves it, and continues the run', async () => {
    delete process.env.DOCUTRAY_API_KEY;
    const restoreInfo = patch(vscode.window, 'showInformationMessage', () => Promise.resolve(undefined));
    await vscode.commands.executeCommand('docutray.clearApiKey');
    const asked: vscode.InputBoxOptions[] = [];
    const restoreInput = patch(vscode.window, 'showInputBox', (options: vscode.InputBoxOptions) => {
      asked.push(options);
      return Promise.resolve(key);
    });
    try {
      const before = (await standIn.requests()).length;
      const outcomes = await vscode.commands.executeCommand<RunOutcome[]>('docutray.runStep', {
        stepId: 'it-fast',
        uris: [workspaceFile('sample.pdf')],
      });
      assert.strictEqual(asked.length, 1, 'asked once');
      assert.strictEqual(asked[0].password, true, 'in a password box');
      assert.ok(outcomes?.[0].result, 'the run went on and succeeded');
      const paths = (await standIn.requests()).slice(before).map(r => `${r.method} ${r.path}`);
      assert.deepStrictEqual(
        paths.slice(0, 2),
        ['GET /api/usage', 'POST /api/steps-async/it-fast'],
        'checked the key (GET /api/usage), then started',
      );
    } finally {
      restoreInput();
      await vscode.commands.executeCommand('docutray.clearApiKey');
      restoreInfo();
    }
  });

  it('a refused key is never stored, Enter Again is offered, and the next run still uses the working key', async () => {
    delete process.env.DOCUTRAY_API_KEY;
    const shown: Array<{ severity: string; message: string; items: string[] }> = [];
    const record =
      (severity: string) =>
      (message: string, ...items: unknown[]) => {
        shown.push({ severity, message, items: items.filter((i): i is string => typeof i === 'string') });
        return Promise.resolve(undefined); // dismissed: not entered again
      };
    const answers = [key, 'dtWRONG_0123456789abcdefghijklmnopqrstu'];
    const undo = [
      patch(vscode.window, 'showInputBox', () => Promise.resolve(answers.shift())),
      patch(vscode.window, 'showInformationMessage', record('info')),
      patch(vscode.window, 'showErrorMessage', record('error')),
      patch(vscode.window, 'showWarningMessage', record('warning')),
    ];
    try {
      await vscode.commands.executeCommand('docutray.clearApiKey');
      assert.strictEqual(await vscode.commands.executeCommand('docutray.setApiKey'), true, 'the working key is saved');
      const accepted = shown.find(m => m.severity === 'info' && /accepted/.test(m.message));
      assert.ok(accepted, JSON.stringify(shown));
      assert.match(
        accepted.message,
        /accepted — [\d,.\s]+ pages processed in \S+ \d{4}/,
        "the key check reports this month's usage",
      );
      shown.length = 0;
      assert.strictEqual(
        await vscode.commands.executeCommand('docutray.setApiKey'),
        false,
        'the wrong key is not saved',
      );
      const refused = shown.find(m => m.severity === 'error');
      assert.ok(refused, JSON.stringify(shown));
      assert.match(refused.message, /refused this API key \(401\); it was not saved/);
      assert.deepStrictEqual(refused.items, ['Enter Again']);
      assert.ok(!shown.some(m => /saved|accepted/.test(m.message) && m.severity === 'info'), JSON.stringify(shown));

      const before = (await standIn.requests()).length;
      const outcomes = await vscode.commands.executeCommand<RunOutcome[]>('docutray.runStep', {
        stepId: 'it-fast',
        uris: [workspaceFile('sample.pdf')],
      });
      assert.ok(outcomes?.[0].result, 'the next run succeeds with the working key');
      const start = (await standIn.requests()).slice(before).find(r => r.method === 'POST');
      assert.strictEqual(start?.headers.authorization, `Bearer ${key}`, 'the run used the working key');
    } finally {
      undo.forEach(u => u());
      await vscode.commands.executeCommand('docutray.clearApiKey');
    }
  });

  it('401: says the key was refused and offers Set API Key', async () => {
    process.env.DOCUTRAY_API_KEY = 'dt_wrong_key_0123456789abcdef';
    const { outcomes, shown } = await runAndCapture('it-fast', workspaceFile('sample.pdf'));
    assert.strictEqual(errorKind(outcomes), 'authentication');
    const m = only(shown);
    assert.match(m.message, /refused the API key \(401\)/);
    assert.ok(m.items.includes('Set API Key'), JSON.stringify(m.items));
  });

  it('a key with a space in it: refused before sending, offers Set API Key, does not show the key', async () => {
    const bad = 'dt_pasted key_0123456789';
    process.env.DOCUTRAY_API_KEY = bad;
    const before = (await standIn.requests()).length;
    const { outcomes, shown } = await runAndCapture('it-fast', workspaceFile('sample.pdf'));
    assert.strictEqual(errorKind(outcomes), 'invalidInput');
    const m = only(shown);
    assert.match(m.message, /API key contains characters an API key cannot have/);
    assert.ok(!m.message.includes('pasted'), 'the key is not in the message');
    assert.ok(m.items.includes('Set API Key'), JSON.stringify(m.items));
    assert.deepStrictEqual((await standIn.requests()).slice(before), [], 'nothing was sent');
  });

  it('404 on start: says the step ID is unknown and offers Configure Steps', async () => {
    const { shown } = await runAndCapture('no-such-step', workspaceFile('sample.pdf'));
    const m = only(shown);
    assert.match(
      m.message,
      /no step "no-such-step" that this API key may use \(404: step not found or access denied\)/,
    );
    assert.ok(m.items.includes('Configure Steps'));
  });

  it('403 on start: about the step id, not the key — offers Configure Steps, not Set API Key', async () => {
    await standIn.setSteps([
      {
        id: 'it-not-ours',
        name: 'Not ours',
        keys: ['some-other-organisations-key'],
        outcome: { status: 'SUCCESS', data: {} },
      },
    ]);
    const { outcomes, shown } = await runAndCapture('it-not-ours', workspaceFile('sample.pdf'));
    assert.strictEqual(errorKind(outcomes), 'notFound');
    const m = only(shown);
    assert.match(m.message, /no step "it-not-ours" that this API key may use \(403/);
    assert.ok(m.items.includes('Configure Steps'), JSON.stringify(m.items));
    assert.ok(!m.items.includes('Set API Key'), JSON.stringify(m.items));
  });

  it('413: names the size limit', async () => {
    await standIn.configure({ maxUploadBytes: 64 });
    try {
      const { outcomes, shown } = await runAndCapture('it-fast', workspaceFile('sample.pdf'));
      assert.strictEqual(errorKind(outcomes), 'payloadTooLarge');
      assert.match(only(shown).message, /too large \(413\).*100 MB/);
    } finally {
      await standIn.configure({ maxUploadBytes: 100 * 1024 * 1024 });
    }
  });

  it('a TIFF is refused before upload, like any other type, with the accepted list', async () => {
    const tiff = Buffer.concat([Buffer.from([0x49, 0x49, 0x2a, 0x00]), Buffer.alloc(60, 1)]);
    const uri = await writeWorkspaceFile('scans/scan.tif', tiff);
    const before = (await standIn.requests()).length;
    const { outcomes, shown } = await runAndCapture('it-fast', uri);
    assert.strictEqual(outcomes, undefined, 'nothing to run');
    assert.match(
      only(shown).message,
      /DocuTray accepts PDF, PNG, JPEG, GIF, BMP, WebP only; nothing to run on scan\.tif/,
    );
    assert.strictEqual(
      (await standIn.requests()).slice(before).filter(r => r.method === 'POST').length,
      0,
      'nothing uploaded',
    );
  });

  it('415: the request\'s content type was refused (a proxy?), with the request id — not "this file type"', async () => {
    await standIn.addFaults({ kind: 'unsupportedContentType', match: { method: 'POST' } });
    const { outcomes, shown } = await runAndCapture('it-fast', workspaceFile('sample.pdf'));
    assert.strictEqual(errorKind(outcomes), 'contentTypeRefused');
    const m = only(shown);
    const requestId = (await standIn.requests()).filter(r => r.method === 'POST').at(-1)?.requestId;
    assert.match(m.message, /refused the content type of the request \(multipart\/form-data, 415\).*proxy/);
    assert.ok(requestId && m.message.includes(requestId), `${m.message} names ${requestId}`);
  });

  it('402: the quota is used up, with the figures and reset date, and no Retry', async () => {
    await standIn.configure({ quotaExceeded: { quota: 500, used: 500, resetDate: '2026-12-01T00:00:00.000Z' } });
    try {
      const before = (await standIn.requests()).length;
      const { outcomes, shown } = await runAndCapture('it-fast', workspaceFile('sample.pdf'));
      assert.strictEqual(errorKind(outcomes), 'quotaExceeded');
      const m = only(shown);
      assert.match(m.message, /quota is used up \(402\): 500 of 500 used\. It resets on .*2026/);
      assert.ok(!m.items.includes('Retry'), JSON.stringify(m.items));
      assert.strictEqual(
        (await standIn.requests()).slice(before).filter(r => r.method === 'POST').length,
        1,
        'not retried',
      );
    } finally {
      await standIn.configure({ quotaExceeded: false });
    }
  });

  it('refuses a text file named .pdf before uploading anything', async () => {
    const uri = await writeWorkspaceFile('fake/not-really.pdf', 'just some text, not a PDF');
    const before = (await standIn.requests()).length;
    const { shown } = await runAndCapture('it-fast', uri);
    assert.match(only(shown).message, /not-really\.pdf .*content is not/);
    assert.strictEqual(
      (await standIn.requests()).slice(before).filter(r => r.method === 'POST').length,
      0,
      'nothing uploaded',
    );
  });

  it('429 with a long Retry-After: says when to retry, offers Retry, starts nothing, and sends nothing more meanwhile', async () => {
    // A key of its own: the 429 pauses every request of the key it was sent with for 120 s.
    const pausedKey = 'dt_rate_limited_key_0123456789';
    await standIn.configure({ apiKeys: [key, pausedKey] });
    process.env.DOCUTRAY_API_KEY = pausedKey;
    try {
      await standIn.addFaults({
        kind: 'rateLimit',
        retryAfter: 120,
        count: 5,
        match: { method: 'POST', path: '/api/steps-async/' },
      });
      const since = Date.now();
      const { outcomes, shown } = await runAndCapture('it-fast', workspaceFile('photo.jpg'));
      assert.strictEqual(errorKind(outcomes), 'rateLimited');
      const m = only(shown);
      assert.match(m.message, /rate limit was reached \(429\)\. Try again in 120 s/);
      assert.ok(m.items.includes('Retry'));
      assert.strictEqual((await standIn.executions()).filter(e => e.createdAt >= since).length, 0);
      // The next run on that key says the same at once, without sending a request.
      const starts = async () => (await standIn.requests()).filter(r => r.method === 'POST').length;
      const before = await starts();
      const again = await runAndCapture('it-fast', workspaceFile('sample.png'));
      assert.strictEqual(errorKind(again.outcomes), 'rateLimited');
      assert.match(only(again.shown).message, /Try again in 1[012]\d s/);
      assert.strictEqual(await starts(), before, 'nothing sent during the pause');
    } finally {
      await standIn.configure({ apiKeys: [key] });
    }
  });

  it("an ERROR execution is a failure that shows the service's message", async () => {
    const { outcomes, shown } = await runAndCapture('it-failing', workspaceFile('sample.pdf'));
    assert.strictEqual(outcomes?.[0].result, undefined, 'never a success');
    assert.strictEqual(errorKind(outcomes), 'stepFailed');
    assert.match(only(shown).message, /Failing \(test\) failed on sample\.pdf: No invoice found on page 1/);
  });

  it("ignores docutray.apiBaseUrl from a workspace's .vscode/settings.json", async () => {
    const settingsFile = workspaceFile('.vscode/settings.json');
    await writeWorkspaceFile(
      '.vscode/settings.json',
      JSON.stringify({ 'docutray.apiBaseUrl': 'https://attacker.invalid' }),
    );
    try {
      await waitFor(
        'the workspace setting to load',
        () =>
          vscode.workspace.getConfiguration('docutray').inspect('apiBaseUrl')?.workspaceValue !== undefined ||
          undefined,
        3000,
      ).catch(() => sleep(1000));
      const before = (await standIn.requests()).length;
      const { outcomes } = await runAndCapture('it-fast', workspaceFile('sample.png'));
      assert.ok(outcomes?.[0].result, `still ran against the user's DocuTray: ${String(outcomes?.[0].error)}`);
      assert.ok((await standIn.requests()).length > before, 'the stand-in got the run');
    } finally {
      await vscode.workspace.fs.delete(settingsFile);
    }
  });

  it('a connection the service closes: said in words, with the address; the system code only in the log', async () => {
    // Enough for the status request and its retries.
    await standIn.addFaults({
      kind: 'dropBeforeBody',
      count: 20,
      match: { method: 'GET', path: '/api/steps-async/status/' },
    });
    const messages = captureMessages();
    try {
      await vscode.commands.executeCommand('docutray.checkExecution', 'exec_closed_connection');
      await waitFor('the message', () => (messages.shown.length ? true : undefined));
    } finally {
      messages.restore();
    }
    const m = only(messages.shown);
    const origin = new URL(standInUrl()).origin;
    assert.ok(
      m.message.startsWith(`Could not reach DocuTray at ${origin}: the connection was closed by the service.`),
      m.message,
    );
    assert.doesNotMatch(m.message, /UND_ERR|ECONN|[A-Z]{2,}_[A-Z_]{2,}/, 'no system code');
    assert.ok(m.items.includes('Retry') && m.items.includes('Proxy Settings'), JSON.stringify(m.items));
    const log = await waitFor('the failure in the log', () => {
      const text = readExtensionLog();
      return /docutray\.checkExecution: connection.* code (UND_ERR_SOCKET|ECONNRESET)/.test(text) ? text : undefined;
    });
    assert.match(log, /code (UND_ERR_SOCKET|ECONNRESET): Could not reach DocuTray/);
  });

  it('a start whose connection is cut after the upload: its run says why in words, never the system code', async () => {
    await standIn.addFaults({ kind: 'dropAfterBody', match: { method: 'POST', path: '/api/steps-async/' } });
    const { outcomes, shown } = await runAndCapture('it-fast', workspaceFile('sample.png'));
    assert.strictEqual(errorKind(outcomes), 'startUncertain');
    const stored = outcomes?.[0].run?.error?.message ?? '';
    assert.match(stored, /may have started, but DocuTray's answer was lost/);
    for (const text of [stored, only(shown).message]) {
      assert.doesNotMatch(text, /UND_ERR|ECONN/, text);
    }
    // The log has the reason in words, and the code beside it.
    const log = await waitFor('the start in the log', () => {
      const text = readExtensionLog();
      return /startUncertain.* code (UND_ERR_SOCKET|ECONNRESET): .*\(the connection was closed by the service\)/.test(
        text,
      )
        ? text
        : undefined;
    });
    assert.ok(log);
  });

  it('never writes the key to the log', async () => {
    await vscode.commands.executeCommand('docutray.runStep', {
      stepId: 'it-fast',
      uris: [workspaceFile('sample.pdf')],
    });
    const text = await waitFor('the run in the DocuTray log', () => {
      const log = readExtensionLog();
      return /execution exec_\S+ succeeded/.test(log) ? log : undefined;
    });
    assert.ok(key && key.length > 8);
    assert.ok(!text.includes(key), 'the key is not in the log');
    assert.match(text, /execution exec_\S+ succeeded/, 'the log has the run');
  });
});
