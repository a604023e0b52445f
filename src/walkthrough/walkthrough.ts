import vscode = require('vscode');
import type { ApiKeyStore } from '../api/apiKeyStore';
import { RESULT_SCHEME } from '../results/resultScheme';

/** The getting-started walkthrough's steps (package.json `contributes.walkthroughs`), by id. */
export type WalkthroughStep = 'apiKey' | 'steps' | 'run' | 'batch' | 'results' | 'expected' | 'testing' | 'cli';

const WALKTHROUGH_ID = 'docutray.gettingStarted';
/** The steps this profile has had ticked by the extension (each once: a step the user unticks stays so). */
const MARKED = 'docutray.walkthrough.marked';

/**
 * The context key each step's `completionEvents` waits for, set when its thing has happened in this window.
 * The API key's `docutray.hasApiKey` is ApiKeyStore's (it follows a key cleared too).
 */
const CONTEXT_KEYS = {
  steps: 'docutray.hasSteps',
  run: 'docutray.didRunStep',
  batch: 'docutray.didRunBatch',
  results: 'docutray.didOpenResult',
  expected: 'docutray.didRecordExpected',
  testing: 'docutray.didRunTests',
  cli: 'docutray.didCopyCommandLine',
} as const;

/** What the walkthrough has been told, for the extension's own tests: each context key set, each step done. */
export interface WalkthroughState {
  contextKeys: Record<string, boolean>;
  done: WalkthroughStep[];
}

/**
 * Tells VS Code's walkthrough what the user did, whatever path led there. Each step completes on an
 * `onContext:` key this sets; but VS Code (1.99 to 1.139 at least) never ticks a step whose context key
 * already holds when it first reads the walkthrough — it reads it only when the Welcome page or a
 * walkthrough first opens in a window, often after the key came from the environment or a run ended — so
 * each step is also marked complete once through VS Code's own `welcome.markStepComplete`.
 */
export class Walkthrough {
  private readonly keys = new Map<string, boolean>();
  private readonly done = new Set<WalkthroughStep>();

  constructor(
    private readonly extensionId: string,
    private readonly memento: vscode.Memento,
  ) {}

  /** Sets a step's context key (a state such as "steps are configured"), and completes the step when it holds. */
  set(step: Exclude<WalkthroughStep, 'apiKey'>, value: boolean): void {
    if (this.keys.get(CONTEXT_KEYS[step]) !== value) {
      this.keys.set(CONTEXT_KEYS[step], value);
      void vscode.commands.executeCommand('setContext', CONTEXT_KEYS[step], value);
    }
    if (value) {
      this.complete(step);
    }
  }

  /** The thing a step is about has happened: its key is set and the step ticked (once per profile). */
  complete(step: WalkthroughStep): void {
    if (step !== 'apiKey' && !this.keys.get(CONTEXT_KEYS[step])) {
      this.set(step, true);
      return;
    }
    this.done.add(step);
    const marked = this.memento.get<unknown>(MARKED);
    const list = Array.isArray(marked) ? marked.filter((s): s is string => typeof s === 'string') : [];
    if (list.includes(step)) {
      return;
    }
    void this.memento.update(MARKED, [...list, step]);
    // Not a public command: where it is missing or refuses, the context key still ticks an open walkthrough.
    void Promise.resolve(
      vscode.commands.executeCommand('welcome.markStepComplete', `${this.extensionId}#${WALKTHROUGH_ID}#${step}`),
    ).catch(() => undefined);
  }

  /** For the extension's own tests: forgets what it was told, so each path can be seen to tell it again. */
  forget(): void {
    this.done.clear();
    for (const step of Object.keys(CONTEXT_KEYS) as (keyof typeof CONTEXT_KEYS)[]) {
      if (step !== 'steps') {
        this.set(step, false);
      }
    }
  }

  state(): WalkthroughState {
    return { contextKeys: Object.fromEntries(this.keys), done: [...this.done] };
  }
}

/** Whether `docutray.steps` (as read from the settings, unchecked) has a step in it. */
export function hasSteps(value: unknown): boolean {
  return Array.isArray(value) && value.some(s => !!s && typeof s === 'object' && typeof s.id === 'string' && s.id);
}

/**
 * Starts following what the walkthrough's steps are about: a key (stored or from the environment), steps
 * in the settings (the command or an edit by hand), a result opened, an expected file written (by Accept,
 * Create, the review or `docutray-steps check -u`). Runs, batches, test runs and the command line copied
 * are told by the runtime (`complete`). Reads nothing from disk; loaded just after activation.
 */
export function startWalkthrough(context: vscode.ExtensionContext, apiKeys: ApiKeyStore): Walkthrough {
  const w = new Walkthrough(context.extension.id, context.globalState);
  const key = () => void apiKeys.refreshContext().then(has => has && w.complete('apiKey'));
  const steps = () => w.set('steps', hasSteps(vscode.workspace.getConfiguration('docutray').get('steps')));
  key();
  steps();
  const expected = vscode.workspace.createFileSystemWatcher('**/*.expected.json', false, false, true);
  context.subscriptions.push(
    apiKeys.onDidChange(key),
    vscode.workspace.onDidChangeConfiguration(e => e.affectsConfiguration('docutray.steps') && steps()),
    vscode.workspace.onDidOpenTextDocument(d => d.uri.scheme === RESULT_SCHEME && w.complete('results')),
    expected,
    expected.onDidCreate(() => w.complete('expected')),
    expected.onDidChange(() => w.complete('expected')),
  );
  for (const editor of vscode.window.visibleTextEditors) {
    if (editor.document.uri.scheme === RESULT_SCHEME) {
      w.complete('results');
    }
  }
  return w;
}
