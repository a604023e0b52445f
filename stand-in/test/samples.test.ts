/**
 * The demo's sample documents and the stand-in steps that answer from them: each sample invoice's PDF
 * shows its own number and totals, and the demo's stand-in answers that document with those same
 * figures, sent and read back by the extension's own client. A month of samples is 24 different invoices.
 */
import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import { INVOICE_DATA } from '../default-steps';
import { FLAKY_STEP_ID, demoFaults, demoSteps, sampleDocuments, sampleExpectations } from '../samples';
import { StandIn, startStandIn } from '../server';
import { KEY, makeClient } from '../../test/unit/core/client/support';
import { REPO } from '../../test/repo';

// The PDF writer the demo uses (real-vscode/workspace.js), so the bytes tested are the bytes the demo writes.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { makePdf } = require(join(REPO, 'real-vscode', 'workspace.js')) as {
  makePdf(text: string | string[]): Buffer;
};

/** The text a PDF shows: its `(…) Tj` strings, unescaped, one per line. */
function pdfText(bytes: Buffer): string[] {
  const content = bytes.toString('latin1');
  return [...content.matchAll(/\(((?:\\.|[^\\)])*)\) Tj/g)].map(m => m[1].replace(/\\(.)/g, '$1'));
}

/** The invoice number and total the page shows. */
function printed(bytes: Buffer): { number: string; total: string } {
  const lines = pdfText(bytes);
  const number = lines.map(l => /^Invoice (\S+)$/.exec(l)?.[1]).find(Boolean);
  const total = lines.map(l => /^Total EUR (\d+\.\d\d)$/.exec(l)?.[1]).find(Boolean);
  assert.ok(number && total, `the page shows a number and a total: ${JSON.stringify(lines)}`);
  return { number, total };
}

describe('the demo: a stand-in that answers from the document', function () {
  this.timeout(30000);
  let standIn: StandIn;
  const docs = sampleDocuments();
  const invoices = docs.filter(d => d.stepId === 'example-invoice');

  before(async () => {
    // The demo's steps, without their waiting: what they answer is under test, not how long they take.
    const steps = demoSteps().map(s => ({ ...s, enqueuedMs: 0, processingMs: 0 }));
    standIn = await startStandIn({ port: 0, apiKeys: [KEY], config: { steps } });
  });
  after(() => standIn.close());

  async function run(stepId: string, fileName: string, data: Buffer): Promise<Record<string, unknown>> {
    const { client } = makeClient(standIn.url);
    const started = await client.startStep(stepId, { kind: 'bytes', data, fileName });
    const done = await client.waitForCompletion(started.id, { timeoutMs: 10000 });
    assert.equal(done.status, 'SUCCESS');
    return done.data as Record<string, unknown>;
  }

  it('answers every sample invoice with the number and total its PDF shows', async () => {
    const answers = await Promise.all(
      invoices.map(async d => {
        const bytes = makePdf(d.lines);
        return {
          path: d.path,
          page: printed(bytes),
          data: await run('example-invoice', d.path.split('/').pop() as string, bytes),
        };
      }),
    );
    for (const { page, data } of answers) {
      assert.equal(data.invoice_number, page.number);
      assert.equal((data.total as number).toFixed(2), page.total, `${page.number}'s total`);
    }
    const month = answers.filter(a => a.path.startsWith('invoices-2024-11/'));
    assert.equal(month.length, 24);
    assert.equal(new Set(month.map(a => a.data.invoice_number)).size, 24, 'a different number for each');
    assert.ok(new Set(month.map(a => a.page.total)).size > 12, 'not one total for all');
  });

  it('the slow step answers from the document too; the receipt step reads the receipt', async () => {
    const inv = invoices.find(d => d.path === 'invoices-2024-11/INV-1007.pdf');
    assert.ok(inv);
    const slow = await run('example-slow', 'INV-1007.pdf', makePdf(inv.lines));
    assert.equal(slow.invoice_number, 'INV-1007');
    const receipt = docs.find(d => d.stepId === 'example-receipt');
    assert.ok(receipt);
    const answer = await run('example-receipt', 'receipt-cafe.pdf', makePdf(receipt.lines));
    assert.ok(pdfText(makePdf(receipt.lines)).includes(`Receipt ${answer.receipt_number as string}`));
  });

  it("each invoice's figures add up: lines to subtotal, subtotal and tax to total", () => {
    for (const d of invoices) {
      const data = d.data as {
        line_items: Array<{ quantity: number; unit_price: number; amount: number }>;
        subtotal: number;
        tax: { amount: number };
        total: number;
      };
      for (const l of data.line_items) {
        assert.equal(l.amount.toFixed(2), (l.quantity * l.unit_price).toFixed(2));
      }
      const sum = data.line_items.reduce((s, l) => s + l.amount, 0);
      assert.equal(data.subtotal.toFixed(2), sum.toFixed(2), d.path);
      assert.equal(data.total.toFixed(2), (data.subtotal + data.tax.amount).toFixed(2), d.path);
    }
  });

  it('any other document gets the step’s usual answer', async () => {
    const data = await run('example-invoice', 'mine.pdf', makePdf('Some other invoice'));
    assert.deepEqual(data, INVOICE_DATA);
  });

  it('the samples folder: every invoice has an expected result, and only invoice-002 differs from its answer', async () => {
    const expectations = sampleExpectations();
    assert.deepEqual(
      expectations.map(e => e.path),
      ['samples/invoice-001.pdf', 'samples/invoice-002.pdf', 'samples/invoice-003.pdf'],
    );
    const differing: string[] = [];
    for (const e of expectations) {
      const doc = docs.find(d => d.path === e.path);
      assert.ok(doc);
      const answer = await run(e.stepId, e.path.split('/').pop() as string, makePdf(doc.lines));
      if (JSON.stringify(answer) !== JSON.stringify(e.result)) {
        differing.push(e.path);
        assert.notEqual(answer.total, e.result.total);
      }
    }
    assert.deepEqual(differing, ['samples/invoice-002.pdf']);
  });

  it('the flaky step: two starts refused as not initiated, one answer lost, then it answers as the invoice step', async () => {
    const steps = demoSteps().map(s => ({ ...s, enqueuedMs: 0, processingMs: 0 }));
    const flaky = await startStandIn({ port: 0, apiKeys: [KEY], config: { steps, faults: demoFaults() } });
    try {
      const inv = invoices.find(d => d.path === 'invoices-2024-11/INV-1003.pdf');
      assert.ok(inv);
      const { client } = makeClient(flaky.url);
      const start = () =>
        client.startStep(FLAKY_STEP_ID, { kind: 'bytes', data: makePdf(inv.lines), fileName: 'INV-1003.pdf' });
      const failures: string[] = [];
      for (let i = 0; i < 3; i++) {
        await start().then(
          () => failures.push('started'),
          (e: Error) => failures.push(e.constructor.name),
        );
      }
      assert.equal(failures.filter(f => f !== 'started').length, 3, failures.join(', '));
      assert.equal(flaky.executions().length, 1, 'the lost answer’s execution runs; the refused starts made none');
      const started = await start();
      const done = await client.waitForCompletion(started.id, { timeoutMs: 10000 });
      assert.equal((done.data as Record<string, unknown>).invoice_number, 'INV-1003');
    } finally {
      await flaky.close();
    }
  });
});
