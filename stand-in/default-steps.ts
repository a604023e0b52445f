/**
 * The steps the stand-in serves when no config names any: one per outcome a client must handle,
 * with results shaped like real extractions so the extension's result view has something to show.
 */
import type { StepScript } from './types';

/** An invoice as an extraction returns it (the demo's invoice-2024-0042.pdf shows the same). */
export const INVOICE_DATA = {
  document_type: 'invoice',
  vendor: {
    name: 'Ñandú Servicios Gráficos S.A.',
    tax_id: 'ES-B12345678',
    address: 'Calle de Alcalá 42, 28014 Madrid, España',
    email: 'facturas@nandu.example',
  },
  customer: {
    name: 'Acme Robotics GmbH',
    tax_id: 'DE811234567',
    address: 'Friedrichstraße 10, 10117 Berlin, Deutschland',
  },
  invoice_number: 'INV-2024-0042',
  purchase_order: 'PO-77813',
  issue_date: '2024-03-15',
  due_date: '2024-04-14',
  currency: 'EUR',
  line_items: [
    { description: 'Impresión offset, 500 folletos A5', quantity: 500, unit_price: 0.42, amount: 210.0 },
    { description: 'Diseño de maqueta (horas)', quantity: 6, unit_price: 55.0, amount: 330.0 },
    { description: 'Envío urgente', quantity: 1, unit_price: 24.9, amount: 24.9 },
  ],
  subtotal: 564.9,
  tax: { rate: 0.21, amount: 118.63 },
  total: 683.53,
  payment: { method: 'bank_transfer', iban: 'ES91 2100 0418 4502 0005 1332' },
  confidence: 0.97,
};

/** A receipt as an extraction returns it (the demo's receipt-cafe.pdf shows the same). */
export const RECEIPT_DATA = {
  document_type: 'receipt',
  merchant: { name: 'Café Zürich', address: 'Plaça de Catalunya 1, 08002 Barcelona' },
  receipt_number: 'T-000981',
  date: '2024-03-16',
  time: '09:41',
  currency: 'EUR',
  items: [
    { description: 'Café con leche', quantity: 2, amount: 4.6 },
    { description: 'Croissant', quantity: 1, amount: 2.2 },
  ],
  tax: { rate: 0.1, amount: 0.62 },
  total: 6.8,
  payment_method: 'card',
  card_last4: '4242',
};

export const DEFAULT_STEPS: StepScript[] = [
  {
    id: 'example-invoice',
    name: 'Example: invoice extraction',
    enqueuedMs: 400,
    processingMs: 1600,
    outcome: { status: 'SUCCESS', data: INVOICE_DATA },
  },
  {
    id: 'example-receipt',
    name: 'Example: receipt extraction',
    enqueuedMs: 300,
    processingMs: 1200,
    outcome: { status: 'SUCCESS', data: RECEIPT_DATA },
  },
  {
    id: 'example-slow',
    name: 'Example: slow step (20 s)',
    enqueuedMs: 2000,
    processingMs: 18000,
    progress: true,
    outcome: { status: 'SUCCESS', data: { ...INVOICE_DATA, invoice_number: 'INV-2024-SLOW' } },
  },
  {
    id: 'example-failing',
    name: 'Example: failing step',
    enqueuedMs: 300,
    processingMs: 1200,
    outcome: {
      status: 'ERROR',
      error: { step: 'extract', code: 'EXTRACTION_FAILED', message: 'No invoice found on page 1' },
    },
  },
  {
    id: 'example-failing-text',
    name: 'Example: failing step (text error)',
    enqueuedMs: 300,
    processingMs: 900,
    outcome: { status: 'ERROR', error: 'The document could not be processed' },
  },
  {
    id: 'example-never',
    name: 'Example: never finishes',
    enqueuedMs: 500,
    progress: true,
    outcome: { status: 'NEVER' },
  },
];
