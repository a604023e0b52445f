/**
 * Counting a document's pages before a run says what it bills (src/core/documents/pageCount.ts): PDFs
 * built here the ways writers make them — a flat page tree, a nested one, one hidden in a compressed
 * object stream, an incremental update that adds a page — and what is only an estimate.
 */
import * as assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import { countPages, countPdfPages, totalPages } from '../../../../src/core/documents/pageCount';

/** A PDF of these objects (1-based, as written), with a header and trailer (no exact xref: not read). */
function pdf(objects: string[], trailer = '<< /Root 1 0 R >>'): Buffer {
  const body = objects.map((o, i) => `${i + 1} 0 obj\n${o}\nendobj\n`).join('');
  return Buffer.from(`%PDF-1.7\n%\xe2\xe3\xcf\xd3\n${body}trailer\n${trailer}\n%%EOF\n`, 'latin1');
}

const page = (parent: number) => `<< /Type /Page /Parent ${parent} 0 R /MediaBox [0 0 612 792] >>`;

/** A catalog, one page tree node with `n` pages. */
function flatPdf(n: number): Buffer {
  const kids = Array.from({ length: n }, (_, i) => `${i + 3} 0 R`).join(' ');
  return pdf([
    '<< /Type /Catalog /Pages 2 0 R >>',
    `<< /Type /Pages /Kids [${kids}] /Count ${n} >>`,
    ...Array.from({ length: n }, () => page(2)),
  ]);
}

describe('page count: what a run over many documents bills', () => {
  it('reads the root of a flat page tree', () => {
    assert.deepEqual(countPdfPages(flatPdf(1)), { pages: 1, exact: true });
    assert.deepEqual(countPdfPages(flatPdf(7)), { pages: 7, exact: true });
  });

  it("reads the root of a nested tree, not an inner node's count or an outline's", () => {
    const bytes = pdf([
      '<< /Type /Catalog /Pages 2 0 R /Outlines 9 0 R >>',
      // The root lists /Count after a nested dictionary that holds a /Count of its own.
      '<< /Type /Pages /Kids [3 0 R 4 0 R] /Resources << /Count 99 >> /Count 5 >>',
      '<< /Type /Pages /Parent 2 0 R /Kids [5 0 R 6 0 R] /Count 2 >>',
      '<< /Type /Pages /Parent 2 0 R /Kids [7 0 R 8 0 R 10 0 R] /Count 3 >>',
      page(3),
      page(3),
      page(4),
      page(4),
      '<< /Type /Outlines /Count 40 >>',
      page(4),
    ]);
    assert.deepEqual(countPdfPages(bytes), { pages: 5, exact: true });
  });

  it('reads a page tree kept in a compressed object stream (PDF 1.5)', () => {
    const inner = `2 0 3 60 ${'<< /Type /Pages /Kids [3 0 R 4 0 R 5 0 R] /Count 3 >>'.padEnd(60)}${page(2)} ${page(2)} ${page(2)}`;
    const data = deflateSync(Buffer.from(inner, 'latin1'));
    const bytes = Buffer.concat([
      Buffer.from('%PDF-1.5\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n', 'latin1'),
      Buffer.from(`6 0 obj\n<< /Type /ObjStm /N 4 /First 12 /Filter /FlateDecode /Length ${data.length} >>\nstream\n`),
      data,
      Buffer.from('\nendstream\nendobj\n%%EOF\n', 'latin1'),
    ]);
    assert.deepEqual(countPdfPages(bytes), { pages: 3, exact: true });
  });

  it('takes the latest revision of the root after an incremental update, as an estimate when they disagree', () => {
    const first = flatPdf(2);
    const update = Buffer.from(
      `5 0 obj\n${page(2)}\nendobj\n2 0 obj\n<< /Type /Pages /Kids [3 0 R 4 0 R 5 0 R] /Count 3 >>\nendobj\ntrailer\n<< /Root 1 0 R /Prev 9 >>\n%%EOF\n`,
      'latin1',
    );
    assert.deepEqual(countPdfPages(Buffer.concat([first, update])), { pages: 3, exact: false });
  });

  it('counts the page objects when no root can be read, and says it is an estimate', () => {
    const bytes = pdf(['<< /Type /Catalog /Pages 2 0 R >>', page(2), page(2), page(2), page(2)]);
    assert.deepEqual(countPdfPages(bytes), { pages: 4, exact: false });
  });

  it('says "about one page" of a PDF it cannot read at all', () => {
    assert.deepEqual(countPdfPages(Buffer.from('%PDF-1.7\n\x00\x01garbage', 'latin1')), { pages: 1, exact: false });
    assert.deepEqual(countPages('scan.pdf', undefined), { pages: 1, exact: false });
  });

  it('counts an image as one page, exactly; a PDF by its content whatever its name', () => {
    assert.deepEqual(countPages('photo.jpg', Buffer.from([0xff, 0xd8, 0xff])), { pages: 1, exact: true });
    assert.deepEqual(countPages('scan', flatPdf(2)), { pages: 2, exact: true });
  });

  it('sums counts, exact only when every count is', () => {
    assert.deepEqual(
      totalPages([
        { pages: 3, exact: true },
        { pages: 1, exact: true },
      ]),
      { pages: 4, exact: true },
    );
    assert.deepEqual(
      totalPages([
        { pages: 3, exact: true },
        { pages: 1, exact: false },
      ]),
      { pages: 4, exact: false },
    );
  });
});
