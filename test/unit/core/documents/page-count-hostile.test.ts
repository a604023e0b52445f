/**
 * Page counting on hostile PDFs (src/core/documents/pageCount.ts): each about 1 MB, counted in a
 * process of its own (test/unit/hostile/worker.ts) in under 1 s and under 64 MB more memory at its peak.
 * Counting was quadratic (256 KB took 35 s) and inflated object streams without a bound (a 0.39 MB
 * PDF took 803 MB). The bounds are far above what it costs (bench/hostile.ts prints the numbers).
 */
import * as assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import { countPdfPages, MAX_INFLATED_BYTES } from '../../../../src/core/documents/pageCount';
import { hostilePdfs, MB } from '../../hostile/inputs';
import { measure } from '../../hostile/measure';

const MAX_MS = 1000;
const MAX_EXTRA_MB = 64;

describe('page count on hostile PDFs: linear, with a bound on inflation', function () {
  // Each case starts a Node process (a second or two on a loaded machine); the bound itself is measured inside it.
  this.timeout(60_000);
  const pdfs = hostilePdfs(MB);

  for (const pdf of pdfs) {
    it(`${pdf.name} (${pdf.what}): < ${MAX_MS} ms of processor time, < ${MAX_EXTRA_MB} MB more`, async () => {
      assert.ok(pdf.bytes.length >= 0.98 * MB, `the input is ${pdf.bytes.length} bytes`);
      const r = (await measure('pageCount', pdf.bytes))!;
      assert.deepEqual(r.summary, pdf.expect);
      assert.ok(
        r.cpuMs < MAX_MS,
        `${pdf.name}: ${r.cpuMs.toFixed(0)} ms of processor time (${r.ms.toFixed(0)} ms on the clock)`,
      );
      assert.ok(r.extraMB < MAX_EXTRA_MB, `${pdf.name}: ${r.extraMB.toFixed(1)} MB more at the peak`);
    });
  }

  it('still reads object streams up to the budget, and says "about" past it', () => {
    const tree = (count: number) =>
      deflateSync(Buffer.from(`2 0 ${`<< /Type /Pages /Kids [3 0 R] /Count ${count} >>`.padEnd(60)}`, 'latin1'));
    const stream = (n: number, data: Buffer) => [
      Buffer.from(
        `${n} 0 obj\n<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length ${data.length} >>\nstream\n`,
      ),
      data,
      Buffer.from('\nendstream\nendobj\n'),
    ];
    const file = (...parts: Buffer[][]) =>
      Buffer.concat([Buffer.from('%PDF-1.5\n'), ...parts.flat(), Buffer.from('%%EOF\n')]);
    // Padding streams of 4 MB each: within the budget together, they are read, and the count is exact.
    const pad = deflateSync(Buffer.alloc(4 * MB));
    const within = Math.floor(MAX_INFLATED_BYTES / (4 * MB)) - 1;
    const ok = file(...Array.from({ length: within }, (_, i) => stream(10 + i, pad)), stream(5, tree(12)));
    assert.deepEqual(countPdfPages(ok), { pages: 12, exact: true });
    // Two more: past the budget, the tree's stream is not read; its pages are then an estimate.
    const past = file(...Array.from({ length: within + 2 }, (_, i) => stream(10 + i, pad)), stream(5, tree(12)));
    assert.deepEqual(countPdfPages(past), { pages: 1, exact: false });
  });

  it('counts a root nested deeper than a real PDF nests as an estimate, never past the stack', () => {
    const deep = Buffer.from(`%PDF-1.7\n${'<< /A '.repeat(5000)}<< /Type /Pages /Count 3 >>${' >>'.repeat(5000)}`);
    assert.equal(countPdfPages(deep).exact, false);
    const shallow = Buffer.from(`%PDF-1.7\n${'<< /A '.repeat(50)}<< /Type /Pages /Count 3 >>${' >>'.repeat(50)}`);
    assert.deepEqual(countPdfPages(shallow), { pages: 3, exact: true });
  });
});
