/**
 * One step execution and its scripted life: ENQUEUED → PROCESSING → SUCCESS | ERROR (or PROCESSING
 * for ever). Time-based phases run on the clock from the start request, so their end instants are
 * exact whenever they are observed; poll-based phases move only when a status request is served.
 */
import type { DocumentFormat } from './formats';
import { FORMAT_MIME } from './formats';
import type { ExecutionInfo, StandInSettings, StepScript } from './types';

export type ExecutionStatus = 'ENQUEUED' | 'PROCESSING' | 'SUCCESS' | 'ERROR';

export interface DocumentInfo {
  source: 'multipart' | 'url' | 'base64';
  filename: string | null;
  sha256: string;
  size: number;
  format: DocumentFormat;
  url?: string;
  metadata?: Record<string, unknown>;
  webhookUrl?: string;
  wait?: string | boolean;
}

type WireOptions = Pick<StandInSettings, 'statusIdField' | 'timestampStyle' | 'recordShape'>;

export function isTerminal(status: ExecutionStatus): boolean {
  return status === 'SUCCESS' || status === 'ERROR';
}

const PROGRESS_STAGES = ['upload', 'extract', 'validate'];

export class Execution {
  private phase: ExecutionStatus = 'ENQUEUED';
  private phaseStartedAt: number;
  private phasePolls = 0;
  private lastProgress = 0;
  polls = 0;
  completedAt?: number;
  terminalServedAt?: number;
  /** The key that started it: another key's status request gets 403. */
  ownerKey?: string;

  constructor(
    readonly id: string,
    /** A snapshot: changing the step's script later does not change a running execution. */
    readonly script: StepScript,
    readonly createdAt: number,
    readonly document: DocumentInfo,
  ) {
    this.phaseStartedAt = createdAt;
  }

  /** The status a status request gets now; counts as a poll. */
  poll(now: number): ExecutionStatus {
    this.advance(now, true);
    this.phasePolls++;
    this.polls++;
    return this.phase;
  }

  /** The status now, without counting a poll (for the control API). */
  peek(now: number): ExecutionStatus {
    this.advance(now, false);
    return this.phase;
  }

  private advance(now: number, isPoll: boolean): void {
    for (;;) {
      const next = this.nextPhase();
      const end = next && this.phaseEnd(now, isPoll);
      if (!next || end === undefined) {
        return;
      }
      this.phase = next;
      this.phaseStartedAt = end;
      this.phasePolls = 0;
      if (isTerminal(next)) {
        this.completedAt = end;
      }
    }
  }

  private nextPhase(): ExecutionStatus | undefined {
    const outcome = this.script.outcome.status;
    if (this.phase === 'ENQUEUED') {
      return 'PROCESSING';
    }
    return this.phase === 'PROCESSING' && outcome !== 'NEVER' ? outcome : undefined;
  }

  private phaseLimits(): { polls?: number; ms?: number } {
    return this.phase === 'ENQUEUED'
      ? { polls: this.script.enqueuedPolls, ms: this.script.enqueuedMs }
      : { polls: this.script.processingPolls, ms: this.script.processingMs };
  }

  /** When the current phase ended, or undefined while it lasts. */
  private phaseEnd(now: number, isPoll: boolean): number | undefined {
    const { polls, ms } = this.phaseLimits();
    if (polls !== undefined) {
      if (polls === 0) {
        return this.phaseStartedAt;
      }
      // A poll-counted phase ends at the poll that first finds it over.
      return isPoll && this.phasePolls >= polls ? now : undefined;
    }
    const end = this.phaseStartedAt + (ms ?? 0);
    return now >= end ? end : undefined;
  }

  /** 0–100 while running; 100 on success; frozen where it was on error. */
  private progressPercent(now: number): number {
    if (this.phase === 'SUCCESS') {
      return 100;
    }
    if (this.phase === 'PROCESSING') {
      const { polls, ms } = this.phaseLimits();
      const fraction = polls ? this.phasePolls / polls : ms ? (now - this.phaseStartedAt) / ms : 0.5;
      this.lastProgress = Math.max(1, Math.min(99, Math.floor(fraction * 100)));
    }
    return this.phase === 'ENQUEUED' ? 0 : this.lastProgress;
  }

  private progressValue(now: number): unknown {
    const percentage = this.progressPercent(now);
    if (this.script.progress !== 'object') {
      return percentage;
    }
    const current = Math.min(PROGRESS_STAGES.length, Math.floor((percentage * PROGRESS_STAGES.length) / 100) + 1);
    return {
      current_step: current,
      total_steps: PROGRESS_STAGES.length,
      step_name: PROGRESS_STAGES[current - 1],
      percentage,
    };
  }

  /** True when it ended in SUCCESS by `now` (it counts in `GET /api/usage`). */
  succeededBy(now: number): boolean {
    return this.peek(now) === 'SUCCESS';
  }

  /**
   * The execution as the API shows it; `status` is what this response reports. By default (the API
   * reference) a start answers `{id, status, step_id, step_name}` and a status request
   * `{conversion_id, status, request_timestamp, response_timestamp, data, error, original_filename}`;
   * `recordShape: "record"` gives the older shape, where both carry the whole record with
   * `step_id`/`step_name`; `statusIdField`, `timestampStyle` and `envelope` the older names.
   */
  view(status: ExecutionStatus, now: number, wire: WireOptions, forStatusEndpoint: boolean): Record<string, unknown> {
    const snake = wire.timestampStyle === 'snake';
    const terminal = isTerminal(status);
    const word = this.script.statusWords?.[status] ?? status;
    const stepName = this.script.name ?? this.script.id;
    if (!forStatusEndpoint && wire.recordShape === 'reference') {
      return { id: this.id, status: word, step_id: this.script.id, step_name: stepName };
    }
    const body: Record<string, unknown> = { ...this.idFields(wire, forStatusEndpoint), status: word };
    if (wire.recordShape === 'record') {
      body.step_id = this.script.id;
      body.step_name = stepName;
    }
    body[snake ? 'request_timestamp' : 'requestTimestamp'] = new Date(this.createdAt).toISOString();
    body[snake ? 'response_timestamp' : 'responseTimestamp'] =
      terminal && this.completedAt !== undefined ? new Date(this.completedAt).toISOString() : null;
    body[snake ? 'original_filename' : 'originalFilename'] = this.document.filename;
    const outcome = this.script.outcome;
    body.data = status === 'SUCCESS' && outcome.status === 'SUCCESS' ? outcome.data : null;
    body.error = status === 'ERROR' && outcome.status === 'ERROR' ? outcome.error : null;
    if (forStatusEndpoint && this.script.progress) {
      body.progress = this.progressValue(now);
    }
    return body;
  }

  private idFields(wire: WireOptions, forStatusEndpoint: boolean): Record<string, string> {
    if (!forStatusEndpoint) {
      return { id: this.id };
    }
    switch (wire.statusIdField) {
      case 'both':
        return { id: this.id, conversion_id: this.id };
      case 'conversion_id':
        return { conversion_id: this.id };
      case 'execution_id':
        return { execution_id: this.id };
    }
  }

  info(now: number): ExecutionInfo {
    return {
      id: this.id,
      stepId: this.script.id,
      status: this.peek(now),
      createdAt: this.createdAt,
      completedAt: this.completedAt,
      terminalServedAt: this.terminalServedAt,
      polls: this.polls,
      source: this.document.source,
      filename: this.document.filename,
      size: this.document.size,
      sha256: this.document.sha256,
      contentType: FORMAT_MIME[this.document.format],
    };
  }
}
