/**
 * Hostile inputs, built here rather than kept as files: PDFs of about 1 MB that made page counting
 * quadratic or inflate without bound, and results that made matching, locating and serialising slow or
 * overflow the stack. Shared by the unit tests (which state the bound each must stay under) and
 * bench/hostile.ts (which prints the numbers).
 */
import { deflateSync } from 'node:zlib';

export const MB = 1024 * 1024;

/** `%PDF` header, the objects, a trailer. */
function pdf(body: string | Buffer[]): Buffer {
  const parts = typeof body === 'string' ? [Buffer.from(body, 'latin1')] : body;
  return Buffer.concat([
    Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n', 'latin1'),
    ...parts,
    Buffer.from('\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n', 'latin1'),
  ]);
}

function fill(unit: string, bytes: number): string {
  return unit.repeat(Math.ceil(bytes / unit.length));
}

export interface HostilePdf {
  name: string;
  /** What it does. */
  what: string;
  bytes: Buffer;
  /** The count it must give (an estimate, or the exact count of a well-formed file). */
  expect: { pages: number; exact: boolean };
}

/** The hostile PDFs, each about `size` bytes. */
export function hostilePdfs(size = MB): HostilePdf[] {
  const out: HostilePdf[] = [];
  // One dictionary never closed, full of page tree nodes: each `/Type /Pages` searched the whole file.
  out.push({
    name: 'unclosed-pages',
    what: 'one dictionary never closed, with 47,000 /Type /Pages in it',
    bytes: pdf(`1 0 obj\n<< ${fill('/Type /Pages /Count 1 ', size)}`),
    expect: { pages: 1, exact: false },
  });
  // Page tree nodes opened inside each other and never closed.
  out.push({
    name: 'nested-pages',
    what: 'page tree nodes opened inside each other, never closed',
    bytes: pdf(`1 0 obj\n${fill('<< /Type /Pages /Kids [', size)}`),
    expect: { pages: 1, exact: false },
  });
  // Closers only, then openers only.
  out.push({
    name: 'brackets',
    what: '>> and ] only, then << and [ only',
    bytes: pdf(`${fill('>> ] ', size / 2)}${fill('<< [ ', size / 2)}`),
    expect: { pages: 1, exact: false },
  });
  // Many small page objects and tree nodes: a well-formed file, counted exactly.
  const leaves: string[] = [];
  let objects = 2;
  const nodeSize = 50;
  const nodes: string[] = [];
  while (leaves.join('').length + nodes.join('').length < size - 200) {
    const node = ++objects;
    const kids: number[] = [];
    for (let k = 0; k < nodeSize; k++) {
      kids.push(++objects);
      leaves.push(`${objects} 0 obj\n<< /Type /Page /Parent ${node} 0 R >>\nendobj\n`);
    }
    nodes.push(
      `${node} 0 obj\n<< /Type /Pages /Parent 2 0 R /Kids [${kids.map(k => `${k} 0 R`).join(' ')}] /Count ${nodeSize} >>\nendobj\n`,
    );
  }
  out.push({
    name: 'many-objects',
    what: `${leaves.length.toLocaleString('en')} pages under ${nodes.length} tree nodes: well-formed, counted exactly`,
    bytes: pdf(
      `1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [${nodes.map((_, i) => `${i + 3} 0 R`).join(' ')}] /Count ${leaves.length} >>\nendobj\n${nodes.join('')}${leaves.join('')}`,
    ),
    expect: { pages: leaves.length, exact: true },
  });
  // Object streams that inflate to 16 MB each (a deflate bomb, many times over): 1 MB of them.
  const bomb = deflateSync(Buffer.alloc(16 * MB), { level: 9 });
  const streams: Buffer[] = [];
  let total = 0;
  for (let i = 0; total < size - bomb.length; i++) {
    const head = Buffer.from(
      `${i + 10} 0 obj\n<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length ${bomb.length} >>\nstream\n`,
      'latin1',
    );
    const tail = Buffer.from('\nendstream\nendobj\n', 'latin1');
    streams.push(head, bomb, tail);
    total += head.length + bomb.length + tail.length;
  }
  out.push({
    name: 'object-stream-bombs',
    what: `${streams.length / 3} object streams of 16 MB each, deflated to ${Math.round(bomb.length / 1024)} KB`,
    bytes: pdf([Buffer.from('1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n', 'latin1'), ...streams]),
    expect: { pages: 1, exact: false },
  });
  // One object stream holding the page tree, then one that would inflate to 1 GB: the tree is still read.
  const tree = deflateSync(Buffer.from(`2 0 ${'<< /Type /Pages /Kids [3 0 R] /Count 7 >>'.padEnd(60)}`, 'latin1'));
  const big = deflateSync(Buffer.alloc(64 * MB), { level: 9 });
  out.push({
    name: 'deflate-bomb',
    what: `a page tree in an object stream, then ${Math.floor(size / big.length)} streams of 64 MB deflated to ${Math.round(big.length / 1024)} KB`,
    bytes: pdf([
      Buffer.from(
        `1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n5 0 obj\n<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length ${tree.length} >>\nstream\n`,
        'latin1',
      ),
      tree,
      Buffer.from('\nendstream\nendobj\n', 'latin1'),
      ...Array.from({ length: Math.floor(size / big.length) }, (_, i) => [
        Buffer.from(`${i + 6} 0 obj\n<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode >>\nstream\n`, 'latin1'),
        big,
        Buffer.from('\nendstream\nendobj\n', 'latin1'),
      ]).flat(),
    ]),
    // The tree was read, but the rest could not be: an estimate of 7.
    expect: { pages: 7, exact: false },
  });
  return out;
}

/** `{"a": {"a": … {"leaf": value} … }}`, `depth` objects deep, built without recursion. */
export function deepObject(depth: number, leaf: unknown, key = 'a'): unknown {
  let v: unknown = { leaf };
  for (let i = 1; i < depth; i++) {
    v = { [key]: v };
  }
  return v;
}

/** `[[[ … [value] … ]]]`, `depth` lists deep. */
export function deepArray(depth: number, leaf: unknown): unknown {
  let v: unknown = [leaf];
  for (let i = 1; i < depth; i++) {
    v = [v];
  }
  return v;
}

/** An invoice with `n` line items, keyed by description; `shift` changes every amount. */
export function invoice(n: number, shift = 0): unknown {
  return {
    vendor: { name: 'ACME' },
    line_items: Array.from({ length: n }, (_, i) => ({ description: `item ${i}`, amount: i + shift, qty: 1 })),
  };
}

/** A result of about `bytes` bytes of JSON: rows of a line of text and an amount (the stand-in's hugeResult). */
export function bigResult(bytes: number): unknown {
  const rowBytes = 82;
  return {
    rows: Array.from({ length: Math.ceil(bytes / rowBytes) }, (_, i) => ({
      line: 'Lorem ipsum dolor sit amet, consectetur adipiscing elit',
      amount: 1234.5 + i,
    })),
  };
}
