/**
 * The demo's sample documents and the steps that answer from them. Each sample invoice carries its own
 * number, vendor, lines and totals, printed as the text of its PDF; the stand-in's example steps answer a
 * document of that name with those same fields (`outcomeByFile`), so a batch over the samples and its
 * export read like real extractions, one invoice each, instead of one invoice 24 times.
 */
import { DEFAULT_STEPS, INVOICE_DATA, RECEIPT_DATA } from './default-steps';
import { seededRandom } from './state';
import type { FaultSpec, StepScript } from './types';

/** A sample document: where it goes in the demo workspace, the text its PDF shows, and what a step answers. */
export interface SampleDocument {
  /** Workspace-relative, `/`-separated. */
  path: string;
  /** The lines of text on its page (ASCII: the PDF's standard font has no accents). */
  lines: string[];
  /** The step that reads it. */
  stepId: 'example-invoice' | 'example-receipt';
  data: Record<string, unknown>;
}

const VENDORS = [
  { name: 'Ñandú Servicios Gráficos S.A.', tax_id: 'ES-B12345678', address: 'Calle de Alcalá 42, 28014 Madrid' },
  { name: 'Nordlicht Druck GmbH', tax_id: 'DE298765431', address: 'Hafenstraße 7, 20457 Hamburg' },
  { name: 'Papeterie Lumière SARL', tax_id: 'FR40123456789', address: '12 rue des Arts, 69002 Lyon' },
  { name: 'Tipografia Aurora S.r.l.', tax_id: 'IT01234567890', address: 'Via Roma 18, 10121 Torino' },
  { name: 'Oficina Verde Lda.', tax_id: 'PT501234567', address: 'Rua Augusta 90, 1100-053 Lisboa' },
];

const CUSTOMER = {
  name: 'Acme Robotics GmbH',
  tax_id: 'DE811234567',
  address: 'Friedrichstraße 10, 10117 Berlin',
};

const CATALOGUE = [
  { description: 'Printed brochures A5 (100)', unit_price: 42.0 },
  { description: 'Layout design (hours)', unit_price: 55.0 },
  { description: 'Business cards (250)', unit_price: 19.5 },
  { description: 'Roll-up banner 85x200', unit_price: 89.0 },
  { description: 'Copy paper A4, box of 5 reams', unit_price: 27.8 },
  { description: 'Toner cartridge, black', unit_price: 64.9 },
  { description: 'Express delivery', unit_price: 24.9 },
  { description: 'Envelopes C5 (500)', unit_price: 31.25 },
];

const cents = (n: number) => Math.round(n * 100) / 100;
const money = (n: number) => n.toFixed(2);
/** The PDF's text: its standard font has no accented letters. */
const ascii = (s: string) => s.normalize('NFD').replace(/[^\x20-\x7e]/g, '');

/** The fields of November's invoice `n` (1–27): always the same for the same `n`. */
export function monthInvoice(n: number): Record<string, unknown> {
  const random = seededRandom(1000 + n);
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)];
  const vendor = pick(VENDORS);
  const count = 1 + Math.floor(random() * 3);
  const shuffled = [...CATALOGUE];
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
  }
  const items = shuffled.slice(0, count);
  const line_items = items.map(item => {
    const quantity = 1 + Math.floor(random() * 12);
    return {
      description: item.description,
      quantity,
      unit_price: item.unit_price,
      amount: cents(quantity * item.unit_price),
    };
  });
  const subtotal = cents(line_items.reduce((sum, l) => sum + l.amount, 0));
  const tax = cents(subtotal * 0.21);
  const day = String(n + 1).padStart(2, '0');
  return {
    document_type: 'invoice',
    vendor,
    customer: CUSTOMER,
    invoice_number: `INV-${1000 + n}`,
    issue_date: `2024-11-${day}`,
    due_date: `2024-12-${day}`,
    currency: 'EUR',
    line_items,
    subtotal,
    tax: { rate: 0.21, amount: tax },
    total: cents(subtotal + tax),
    confidence: cents(0.9 + random() * 0.09),
  };
}

/** What an invoice's page says: the same number, vendor, lines and totals a step answers with. */
export function invoiceLines(data: Record<string, unknown>): string[] {
  const d = data as {
    invoice_number: string;
    issue_date: string;
    due_date: string;
    currency: string;
    vendor: { name: string; tax_id: string };
    customer: { name: string };
    line_items: Array<{ description: string; quantity: number; unit_price: number; amount: number }>;
    subtotal: number;
    tax: { rate: number; amount: number };
    total: number;
  };
  return [
    `Invoice ${d.invoice_number}`,
    `Issued ${d.issue_date}, due ${d.due_date}`,
    `From: ${ascii(d.vendor.name)} (${d.vendor.tax_id})`,
    `To: ${ascii(d.customer.name)}`,
    ...d.line_items.map(l => `${l.quantity} x ${ascii(l.description)} at ${money(l.unit_price)} = ${money(l.amount)}`),
    `Subtotal ${d.currency} ${money(d.subtotal)}`,
    `VAT ${Math.round(d.tax.rate * 100)}% ${d.currency} ${money(d.tax.amount)}`,
    `Total ${d.currency} ${money(d.total)}`,
  ];
}

/** What a receipt's page says. */
export function receiptLines(data: Record<string, unknown>): string[] {
  const d = data as {
    receipt_number: string;
    date: string;
    time: string;
    currency: string;
    merchant: { name: string };
    items: Array<{ description: string; quantity: number; amount: number }>;
    total: number;
  };
  return [
    `Receipt ${d.receipt_number}`,
    `${ascii(d.merchant.name)}, ${d.date} ${d.time}`,
    ...d.items.map(i => `${i.quantity} x ${ascii(i.description)} ${money(i.amount)}`),
    `Total ${d.currency} ${money(d.total)}`,
  ];
}

/** Every sample document of the demo workspace. */
export function sampleDocuments(): SampleDocument[] {
  const month = Array.from({ length: 24 }, (_, i) => monthInvoice(i + 1));
  return [
    { path: 'invoice-2024-0042.pdf', stepId: 'example-invoice', data: INVOICE_DATA, lines: invoiceLines(INVOICE_DATA) },
    { path: 'receipt-cafe.pdf', stepId: 'example-receipt', data: RECEIPT_DATA, lines: receiptLines(RECEIPT_DATA) },
    ...month.map((data): SampleDocument => ({
      path: `invoices-2024-11/${data.invoice_number as string}.pdf`,
      stepId: 'example-invoice',
      data,
      lines: invoiceLines(data),
    })),
    ...[25, 26, 27].map((n, i): SampleDocument => {
      const data = monthInvoice(n);
      return { path: `samples/invoice-00${i + 1}.pdf`, stepId: 'example-invoice', data, lines: invoiceLines(data) };
    }),
  ];
}

/** What a sample's expected file holds: the result recorded for it, by its step. */
export interface SampleExpectation {
  /** The document's workspace-relative path. */
  path: string;
  stepId: SampleDocument['stepId'];
  result: Record<string, unknown>;
}

/**
 * The expected results the demo's `samples/` folder starts with: what the invoice step answers, except
 * for invoice-002.pdf, recorded (as it were) before a step change moved its total and its vendor's name —
 * so a check shows one passing and one failing document, and Accept as Expected has something to settle.
 */
export function sampleExpectations(documents: readonly SampleDocument[] = sampleDocuments()): SampleExpectation[] {
  return documents
    .filter(d => d.path.startsWith('samples/'))
    .map(d => {
      if (d.path !== 'samples/invoice-002.pdf') {
        return { path: d.path, stepId: d.stepId, result: d.data };
      }
      const vendor = d.data.vendor as Record<string, unknown>;
      return {
        path: d.path,
        stepId: d.stepId,
        result: {
          ...d.data,
          vendor: { ...vendor, name: `${vendor.name as string} (old name)` },
          total: cents((d.data.total as number) + 10),
        },
      };
    });
}

/** The demo's flaky step: it answers as the invoice step does, once the faults below have played out. */
export const FLAKY_STEP_ID = 'example-flaky';

/**
 * What makes the flaky step flaky, armed when the demo's stand-in starts: its first two starts are
 * answered "could not initiate" (nothing started: Retry Failed sends them again), and the answer to its
 * third start is lost although the execution runs (it may have started: Review… asks before sending it
 * again). Every later start works, so a folder run on it shows both without the stand-in's control API.
 */
export function demoFaults(): FaultSpec[] {
  const match = { method: 'POST', path: `/api/steps-async/${FLAKY_STEP_ID}` };
  return [
    { kind: 'serverError', status: 500, notInitiated: true, count: 2, match },
    { kind: 'loseStartAnswer', count: 1, match },
  ];
}

/**
 * The example steps, answering each sample document with its own fields: the invoice steps (the slow one
 * too) every invoice, the receipt step the receipt. Any other document gets the step's usual answer.
 */
export function demoSteps(documents: readonly SampleDocument[] = sampleDocuments()): StepScript[] {
  const byFile = (stepId: SampleDocument['stepId']) =>
    Object.fromEntries(
      documents
        .filter(d => d.stepId === stepId)
        .map(d => [d.path.slice(d.path.lastIndexOf('/') + 1), { status: 'SUCCESS' as const, data: d.data }]),
    );
  const answers: Record<string, ReturnType<typeof byFile>> = {
    'example-invoice': byFile('example-invoice'),
    'example-slow': byFile('example-invoice'),
    'example-receipt': byFile('example-receipt'),
    [FLAKY_STEP_ID]: byFile('example-invoice'),
  };
  const invoice = DEFAULT_STEPS.find(s => s.id === 'example-invoice') as StepScript;
  const flaky: StepScript = { ...invoice, id: FLAKY_STEP_ID, name: 'Example: flaky step' };
  return [...DEFAULT_STEPS, flaky].map(step =>
    answers[step.id] ? { ...step, outcomeByFile: answers[step.id] } : step,
  );
}
