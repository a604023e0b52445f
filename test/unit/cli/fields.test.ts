/**
 * `docutray-steps check --reporter fields`: field accuracy as Markdown for a CI job summary, from the
 * built command line against the stand-in. A few documents recorded, then some expected files edited
 * (a total, a vendor, a line item taken out, one removed): the Markdown's counts per field are the
 * ones expected, and the same as the `--reporter json` of the same run says.
 */
import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseExpected, serializeExpected } from '../../../src/core/expected/expectedFile';
import { cliAndStandIn, pdf, runCli } from './support';

const KEY = 'dtFIELDSKEY_2pQ7vLx4Mr9Tn1Wz6Kb3Hc8Jd5';

const INVOICE = {
  total: 683.53,
  vendor: { name: 'Ñandú | Servicios' },
  line_items: [
    { description: 'Impresión offset', amount: 210 },
    { description: 'Envío urgente', amount: 24.9 },
  ],
};

interface Row {
  equal: number;
  compared: number;
  differs: number;
  missing: number;
  extra: number;
  paired: string;
  documents: string;
}

/** The Markdown table's rows by field. */
function table(md: string): Map<string, Row> {
  const rows = new Map<string, Row>();
  for (const line of md.split('\n')) {
    const m = /^\| `([^`]+)` \| (\d+) of (\d+) \| [█░]+ \| (\d+) \| (\d+) \| (\d+) \| ([^|]*) \| (.*) \|$/.exec(line);
    if (m) {
      rows.set(m[1], {
        equal: Number(m[2]),
        compared: Number(m[3]),
        differs: Number(m[4]),
        missing: Number(m[5]),
        extra: Number(m[6]),
        paired: m[7].trim(),
        documents: m[8],
      });
    }
  }
  return rows;
}

interface JsonDifference {
  kind: 'changed' | 'added' | 'removed';
  path: string;
  expected?: unknown;
  actual?: unknown;
}

/** A JSON report's differences counted per field, a whole item added or removed counted per value in it. */
function countsFromJson(documents: { differences?: JsonDifference[] }[]): Map<string, Partial<Row>> {
  const out = new Map<string, Partial<Row>>();
  const add = (path: string, verdict: 'differs' | 'missing' | 'extra') => {
    const field = path.replace(/\[[^\]]*\]/g, '[*]');
    const row = out.get(field) ?? { differs: 0, missing: 0, extra: 0 };
    row[verdict]! += 1;
    out.set(field, row);
  };
  const leaves = (path: string, v: unknown, verdict: 'missing' | 'extra') => {
    if (v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        leaves(Array.isArray(v) ? `${path}[${k}]` : `${path}.${k}`, x, verdict);
      }
    } else {
      add(path, verdict);
    }
  };
  for (const d of documents.flatMap(doc => doc.differences ?? [])) {
    if (d.kind === 'changed') {
      add(d.path, 'differs');
    } else {
      leaves(d.path, d.kind === 'added' ? d.actual : d.expected, d.kind === 'added' ? 'extra' : 'missing');
    }
  }
  return out;
}

describe('docutray-steps check --reporter fields', function () {
  this.timeout(120_000);
  const f = cliAndStandIn(KEY);
  let ws: string;

  beforeEach(() => {
    f.standIn.reset();
    f.standIn.setSteps([{ id: 'invoice', outcome: { status: 'SUCCESS', data: INVOICE } }]);
    ws = mkdtempSync(join(tmpdir(), 'docutray-fields-ws-'));
    mkdirSync(join(ws, 'docs'));
    for (let i = 1; i <= 5; i++) {
      writeFileSync(join(ws, 'docs', `doc-${i}.pdf`), pdf(`doc-${i}`));
    }
  });
  afterEach(() => rmSync(ws, { recursive: true, force: true }));

  const cli = (args: string[]) => runCli(f.cli, args, { cwd: ws, key: KEY, baseUrl: f.standIn.url });

  /** Changes a recorded expected result of `docs/doc-<i>.pdf`. */
  function editExpected(i: number, edit: (result: typeof INVOICE) => void): void {
    const file = join(ws, 'docs', `doc-${i}.pdf.invoice.expected.json`);
    const expected = parseExpected(readFileSync(file, 'utf8'), 'invoice');
    const result = structuredClone(expected.result) as typeof INVOICE;
    edit(result);
    writeFileSync(file, serializeExpected({ ...expected, result }));
  }

  it('counts each field worst first, as the JSON report of the same run says', async () => {
    const recorded = await cli(['check', 'docs', '--step', 'invoice', '-u']);
    assert.equal(recorded.code, 0, recorded.stderr);
    editExpected(2, r => void (r.total = 700));
    editExpected(3, r => void r.line_items.pop());
    editExpected(4, r => void (r.vendor.name = 'Other'));
    unlinkSync(join(ws, 'docs', 'doc-5.pdf.invoice.expected.json'));

    const r = await cli([
      'check',
      'docs',
      '--step',
      'invoice',
      '--array-key',
      'line_items=description',
      '--reporter',
      'fields=fields.md',
      '--reporter',
      'json=report.json',
    ]);
    assert.equal(r.code, 1, r.stderr);
    const md = readFileSync(join(ws, 'fields.md'), 'utf8');
    assert.match(md, /^## Field accuracy of step `invoice`\n\n4 documents compared, 1 not compared\./);
    assert.match(md, /- `docs\/doc-5\.pdf`: missing/);
    assert.doesNotMatch(md, /%/);
    const rows = table(md);
    assert.deepEqual([...rows.keys()], ['total', 'vendor.name', 'line_items[*].amount', 'line_items[*].description']);
    assert.deepEqual(rows.get('total'), {
      equal: 3,
      compared: 4,
      differs: 1,
      missing: 0,
      extra: 0,
      paired: '',
      documents: '`docs/doc-2.pdf`',
    });
    assert.deepEqual(rows.get('vendor.name'), { ...rows.get('total'), documents: '`docs/doc-4.pdf`' });
    // 2 items in each of 4 documents; doc-3's expected result lost one, so it is extra there.
    for (const field of ['line_items[*].amount', 'line_items[*].description']) {
      assert.deepEqual(rows.get(field), {
        equal: 7,
        compared: 8,
        differs: 0,
        missing: 0,
        extra: 1,
        paired: 'by description',
        documents: '`docs/doc-3.pdf`',
      });
    }

    // The JSON report of the same run: the same documents compared and the same values not equal.
    const json = JSON.parse(readFileSync(join(ws, 'report.json'), 'utf8')) as {
      summary: Record<string, number>;
      documents: { document: string; status: string; differences?: JsonDifference[] }[];
    };
    const compared = json.documents.filter(d => d.status === 'passed' || d.status === 'failed');
    assert.equal(compared.length, 4);
    assert.equal(rows.get('total')!.compared, compared.length);
    const fromJson = countsFromJson(json.documents);
    for (const [field, row] of rows) {
      assert.deepEqual(
        { differs: row.differs, missing: row.missing, extra: row.extra },
        fromJson.get(field) ?? { differs: 0, missing: 0, extra: 0 },
        field,
      );
    }
    assert.deepEqual(
      [...fromJson.keys()].filter(k => !rows.has(k)),
      [],
    );
    assert.deepEqual(
      json.documents.filter(d => d.status === 'failed').map(d => d.document),
      ['docs/doc-2.pdf', 'docs/doc-3.pdf', 'docs/doc-4.pdf'],
    );
  });

  it('prints the Markdown on stdout when no file is named', async () => {
    assert.equal((await cli(['check', 'docs', '--step', 'invoice', '-u'])).code, 0);
    const r = await cli(['check', 'docs', '--step', 'invoice', '--reporter', 'fields']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^## Field accuracy of step `invoice`\n\n5 documents compared\./);
    assert.match(r.stdout, /\| `vendor\.name` \| 5 of 5 \|/);
    assert.match(
      r.stdout,
      /\| `line_items\[\*\]\.amount` \| 10 of 10 \| [█]{10} \| 0 \| 0 \| 0 \| by position \| {2}\|/,
    );
  });
});
