import vscode = require('vscode');
import { HISTORY_FILE, RunRecord, boundHistory, parseHistory, serializeHistory } from '../core/runs/history';
import { ScopedLog } from '../logging/log';

/**
 * Every run, in `runs.json` in global storage (small records; results have their own files). Loaded
 * on first use, not at activation. Writes are serialized and atomic (a temp file, then a rename), so a
 * window closing mid-write leaves the previous history, never half of one.
 */
export class RunHistory implements vscode.Disposable {
  private runs: RunRecord[] | undefined;
  private loading: Promise<RunRecord[]> | undefined;
  private writing: Promise<void> = Promise.resolve();
  private readonly changed = new vscode.EventEmitter<RunRecord | undefined>();
  /** Fires with the run that changed, or undefined when the whole list did. */
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly storageUri: vscode.Uri,
    private readonly log: ScopedLog,
    private readonly maxRuns: () => number,
    private readonly onDropped: (dropped: RunRecord[]) => void = () => undefined,
  ) { }

  private get file(): vscode.Uri {
    return vscode.Uri.joinPath(this.storageUri, HISTORY_FILE);
  }

  async all(): Promise<RunRecord[]> {
    if (this.runs) {
      return this.runs;
    }
    this.loading ??= this.load();
    return this.loading;
  }

  private async load(): Promise<RunRecord[]> {
    let text: string | undefined;
    try {
      text = Buffer.from(await vscode.workspace.fs.readFile(this.file)).toString('utf8');
    } catch {
      text = undefined; // no history yet
    }
    const { runs, problem } = parseHistory(text);
    if (problem) {
      this.log.warn(`${problem} (${this.file.fsPath})`);
    }
    this.runs = runs;
    return runs;
  }

  /** Reads the file again (the Refresh action): picks up another window's runs, or recovers a damaged file. */
  async reload(): Promise<RunRecord[]> {
    await this.writing;
    this.runs = undefined;
    this.loading = undefined;
    const runs = await this.all();
    this.changed.fire(undefined);
    return runs;
  }

  async get(id: string): Promise<RunRecord | undefined> {
    return (await this.all()).find(r => r.id === id);
  }

  async findByExecution(executionId: string): Promise<RunRecord | undefined> {
    return (await this.all()).find(r => r.executionId === executionId);
  }

  /** Adds a run and saves at once: a start must be on disk before its request leaves. */
  async add(run: RunRecord): Promise<void> {
    const runs = await this.all();
    runs.unshift(run);
    const { kept, dropped } = boundHistory(runs, this.maxRuns());
    this.runs = kept;
    if (dropped.length) {
      this.log.info(`history bound (${this.maxRuns()}): dropped ${dropped.length} oldest finished run(s)`);
      this.onDropped(dropped);
    }
    this.changed.fire(undefined);
    await this.save();
  }

  /** Updates a run; `persist: false` for live stage text that need not survive a reload. */
  async update(id: string, change: Partial<RunRecord>, persist = true): Promise<RunRecord | undefined> {
    const run = (await this.all()).find(r => r.id === id);
    if (!run) {
      return undefined;
    }
    Object.assign(run, change, { updatedAt: Date.now() });
    this.changed.fire(run);
    if (persist) {
      await this.save();
    }
    return run;
  }

  async remove(ids: readonly string[]): Promise<RunRecord[]> {
    const runs = await this.all();
    const removed = runs.filter(r => ids.includes(r.id));
    this.runs = runs.filter(r => !ids.includes(r.id));
    this.changed.fire(undefined);
    await this.save();
    return removed;
  }

  private save(): Promise<void> {
    const text = serializeHistory(this.runs ?? []);
    const write = async () => {
      await vscode.workspace.fs.createDirectory(this.storageUri);
      const tmp = vscode.Uri.joinPath(this.storageUri, `${HISTORY_FILE}.tmp`);
      await vscode.workspace.fs.writeFile(tmp, Buffer.from(text, 'utf8'));
      await vscode.workspace.fs.rename(tmp, this.file, { overwrite: true });
    };
    this.writing = this.writing.then(write, write).catch(e => this.log.error(`could not save the runs history: ${(e as Error).message}`));
    return this.writing;
  }

  dispose(): void {
    this.changed.dispose();
  }
}
