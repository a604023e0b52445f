/**
 * This month's usage, as `GET /api/usage` answers it (DocuTray's API reference, https://docs.docutray.com/docs/api): the key check, free (it
 * counts toward nothing and is never refused with 429 or 402), and the figure a user wants to see.
 */
import { InvalidInputError, InvalidResponseError } from './errors';

export interface Usage {
  year: number;
  /** 1–12. */
  month: number;
  /** Pages DocuTray processed successfully that month. */
  successfulPages: number;
  successfulConversions: number;
}

function count(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined;
}

export function parseUsage(body: unknown): Usage {
  const b = (body && typeof body === 'object' && !Array.isArray(body) ? body : {}) as Record<string, unknown>;
  const year = count(b.year);
  const month = count(b.month);
  const pages = count(b.successful_pages ?? b.successfulPages);
  const conversions = count(b.successful_conversions ?? b.successfulConversions);
  if (year === undefined || month === undefined || month < 1 || month > 12 || pages === undefined) {
    throw new InvalidResponseError("DocuTray's usage answer could not be read (no year, month or successful_pages).");
  }
  return { year, month, successfulPages: pages, successfulConversions: conversions ?? 0 };
}

/** The query of `GET /api/usage`: both year and month, or neither (this month). */
export function usageQuery(period?: { year?: number; month?: number }): string {
  const { year, month } = period ?? {};
  if (year === undefined && month === undefined) {
    return '';
  }
  if (
    year === undefined ||
    month === undefined ||
    !Number.isInteger(year) ||
    !Number.isInteger(month) ||
    month < 1 ||
    month > 12
  ) {
    throw new InvalidInputError(
      'badUsagePeriod',
      'Ask for the usage of a year and a month (1–12) together, or of neither (this month).',
    );
  }
  return `?year=${year}&month=${month}`;
}
