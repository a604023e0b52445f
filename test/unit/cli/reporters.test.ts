/**
 * The reports of `docutray-steps check` (src/cli/reporters.ts): JUnit XML that a strict XML parser
 * reads back to the same names and messages whatever characters documents, paths and values hold;
 * JSON that keeps `null` apart from a missing value; a pretty report that no control character in the
 * data can turn into terminal commands.
 */
import * as assert from 'node:assert/strict';
import type { DocumentCheck } from '../../../src/core/expected/check';
import { compareResults } from '../../../src/core/expected/compare';
import {
  boundedJson,
  jsonReport,
  junitReport,
  prettyReport,
  xmlEscape,
  type CheckReport,
} from '../../../src/cli/reporters';
import { terminalText } from '../../../src/cli/text';

interface SaxParser {
  onerror: (e: Error) => void;
  onopentag: (node: { name: string; attributes: Record<string, string> }) => void;
  ontext: (text: string) => void;
  onclosetag: (name: string) => void;
  write(text: string): SaxParser;
  close(): void;
}
// sax ships no types; strict mode refuses what is not well-formed XML.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const sax = require('sax') as { parser(strict: boolean, opts?: object): SaxParser };

interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  text: string;
  children: XmlElement[];
}

function parseXml(text: string): XmlElement {
  const parser = sax.parser(true, { trim: false, normalize: false });
  const root: XmlElement = { name: '#document', attributes: {}, text: '', children: [] };
  const stack = [root];
  parser.onerror = e => {
    throw e;
  };
  parser.onopentag = node => {
    const el: XmlElement = { name: node.name, attributes: node.attributes, text: '', children: [] };
    stack[stack.length - 1].children.push(el);
    stack.push(el);
  };
  parser.ontext = t => {
    stack[stack.length - 1].text += t;
  };
  parser.onclosetag = () => {
    stack.pop();
  };
  parser.write(text).close();
  return root.children[0];
}

const all = (el: XmlElement, name: string): XmlElement[] =>
  el.children.flatMap(c => (c.name === name ? [c, ...all(c, name)] : all(c, name)));

/** Characters XML 1.0 cannot hold (most C0 controls, lone surrogates, U+FFFE/FFFF). */
const NOT_XML = /[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/u;

const HOSTILE = 'a&b<c>"d\'e]]><!--x--><?pi?>\u0000\u0001\u001b[31m\u007f\u0085\ud800\ufffe 😀 ñ\ttab\r\nline';

function report(checks: DocumentCheck[], over: Partial<CheckReport> = {}): CheckReport {
  return {
    stepId: 'inv',
    update: false,
    checks,
    exitCode: 1,
    durationMs: 2500,
    startedAt: Date.UTC(2026, 0, 2, 3, 4, 5),
    ...over,
  };
}

function failing(document: string, expected: unknown, actual: unknown): DocumentCheck {
  return {
    document,
    expectedFile: `${document}.inv.expected.json`,
    status: 'failed',
    differences: compareResults(expected, actual).map((d, i) => ({ ...d, line: i + 6 })),
    executionId: 'exec_1',
    durationMs: 1234,
  };
}

describe('expected results: reports', () => {
  describe('junit', () => {
    it('writes one testcase per document, a failure naming the paths that differ with their values at the expected file’s line, an error for no result', () => {
      const checks: DocumentCheck[] = [
        { document: 's/ok.pdf', expectedFile: 's/ok.pdf.inv.expected.json', status: 'passed', durationMs: 1000 },
        failing('s/bad.pdf', { total: 1, vendor: { name: 'A' } }, { total: 2, vendor: { name: 'B' } }),
        { document: 's/new.pdf', expectedFile: 's/new.pdf.inv.expected.json', status: 'missing', message: 'none' },
        {
          document: 's/err.pdf',
          expectedFile: 's/err.pdf.inv.expected.json',
          status: 'stepError',
          message: 'No invoice found',
          executionId: 'exec_9',
        },
      ];
      const xml = parseXml(junitReport(report(checks)));
      assert.equal(xml.name, 'testsuites');
      const [suite] = all(xml, 'testsuite');
      assert.deepEqual(
        ['tests', 'failures', 'errors', 'time'].map(a => suite.attributes[a]),
        ['4', '2', '1', '2.500'],
      );
      const cases = all(xml, 'testcase');
      assert.deepEqual(
        cases.map(c => [c.attributes.name, c.attributes.classname, c.attributes.file]),
        checks.map(c => [c.document, 'inv', c.status === 'failed' ? c.expectedFile : c.document]),
        'a failure points at its expected file (GitHub and GitLab annotate it there)',
      );
      assert.equal(cases[1].attributes.line, '6', 'the first changed line');
      assert.equal(cases[0].children.length, 0);
      assert.equal(cases[0].attributes.time, '1.000');
      const [failure] = all(cases[1], 'failure');
      assert.equal(failure.attributes.type, 'failed');
      assert.equal(
        failure.attributes.message,
        '2 fields differ in s/bad.pdf.inv.expected.json: total: 1 -> 2; vendor.name: "A" -> "B"',
      );
      assert.match(failure.text, /^total: 1 -> 2 \(line 6\)$/m);
      assert.match(failure.text, /^vendor\.name: "A" -> "B" \(line 7\)$/m);
      assert.match(all(cases[2], 'failure')[0].attributes.message, /run with --update/);
      const [error] = all(cases[3], 'error');
      assert.equal(error.attributes.type, 'stepError');
      assert.match(error.attributes.message, /No invoice found \(execution exec_9\)/);
    });

    it('stays well-formed XML whatever the names, paths, values and messages hold', () => {
      const checks: DocumentCheck[] = [
        failing(`docs/${HOSTILE}.pdf`, { [HOSTILE]: HOSTILE, 'x.y': 1 }, { [HOSTILE]: `${HOSTILE}!`, 'x.y': 2 }),
        { document: HOSTILE, expectedFile: HOSTILE, status: 'refused', message: HOSTILE, requestId: HOSTILE },
      ];
      const text = junitReport(report(checks, { stepId: HOSTILE }));
      assert.ok(!NOT_XML.test(text), 'only characters XML can hold');
      const xml = parseXml(text);
      const cases = all(xml, 'testcase');
      assert.equal(cases.length, 2);
      // What XML can hold comes back exactly; what it cannot comes back as visible \uXXXX escapes.
      const visible = HOSTILE.replace(
        /[^\t\n\r\u0020-\u007e\u00a0-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/gu,
        c => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
      );
      assert.equal(cases[1].attributes.name, visible);
      assert.equal(cases[0].attributes.name, `docs/${visible}.pdf`);
      assert.equal(all(xml, 'property')[0].attributes.value, visible);
      assert.equal(all(cases[1], 'error')[0].attributes.message, visible);
      assert.ok(all(cases[0], 'failure')[0].attributes.message.includes('["x.y"]'));
      assert.ok(all(cases[0], 'failure')[0].text.includes('\\u001b[31m'));
      assert.ok(!text.includes(']]><!--x-->'), 'markup from data is escaped');
    });

    it('escapes for attributes and text', () => {
      assert.equal(xmlEscape('<a & "b">\n'), '&lt;a &amp; "b"&gt;\n');
      assert.equal(
        xmlEscape('<a & "b" \'c\'>\n\t\r', true),
        '&lt;a &amp; &quot;b&quot; &apos;c&apos;&gt;&#10;&#9;&#13;',
      );
      assert.equal(xmlEscape('\u0000\ud83d\ude00\udc00'), '\\u0000😀\\udc00');
    });
  });

  describe('json', () => {
    it('keeps a missing value apart from null, and counts statuses', () => {
      const checks = [failing('a.pdf', { gone: null, same: 1 }, { same: 1, added: null })];
      const body = JSON.parse(jsonReport(report(checks)));
      assert.deepEqual(body.summary, { documents: 1, failed: 1 });
      assert.equal(body.exitCode, 1);
      assert.deepEqual(body.documents[0].differences, [
        { kind: 'removed', path: 'gone', line: 6, expected: null },
        { kind: 'added', path: 'added', line: 7, actual: null },
      ]);
      assert.equal(body.documents[0].document, 'a.pdf');
      assert.equal(body.documents[0].expectedFile, 'a.pdf.inv.expected.json');
    });
  });

  describe('pretty', () => {
    it('shows each document’s status and, for a difference, its path with expected -> actual', () => {
      const checks: DocumentCheck[] = [
        { document: 's/ok.pdf', expectedFile: 's/ok.pdf.inv.expected.json', status: 'passed' },
        failing('s/bad.pdf', { total: 683.53, v: { n: 'x' } }, { total: 683.35, w: 1 }),
        {
          document: 's/lost.pdf',
          expectedFile: 'x',
          status: 'uncertain',
          message: 'The answer was lost.',
          requestId: 'req_4',
        },
      ];
      const text = prettyReport(report(checks));
      const lines = text.split('\n');
      assert.match(lines[0], /^PASS\s+s\/ok\.pdf$/);
      assert.match(lines[1], /^FAIL\s+s\/bad\.pdf {2}3 fields differ from s\/bad\.pdf\.inv\.expected\.json$/);
      assert.match(text, /^\s+total: 683\.53 -> 683\.35 \(line 6\)$/m);
      assert.match(text, /^\s+v: \{"n":"x"\} -> \(missing\)/m);
      assert.match(text, /^\s+w: \(missing\) -> 1/m);
      assert.match(text, /UNCERTAIN\s+s\/lost\.pdf {2}The answer was lost\. It was not sent again: .*request id req_4/);
      assert.match(
        text,
        /3 documents: 1 passed, 1 differs, 1 may have started \(not sent again\) \(step inv, 2\.5 s\)/,
      );
    });

    it('lets no control character from the data reach the terminal', () => {
      const checks = [failing(`\u001b]0;pwned\u0007${HOSTILE}.pdf`, { k: HOSTILE }, { k: `\u009b2J${HOSTILE}` })];
      checks[0].differences![0].path = `\u001b[2J${checks[0].differences![0].path}`;
      const text = prettyReport(report(checks, { stepId: '\u001b[31mred' }));
      const controls =
        // eslint-disable-next-line no-control-regex
        /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
      assert.ok(!controls.test(text), JSON.stringify(text));
      assert.ok(text.includes('\\u001b]0;pwned\\u0007'));
      assert.equal(terminalText('a\u202eb\nc'), 'a\\u202eb\\u000ac');
    });

    it('lists at most 50 differences of a document and counts the rest', () => {
      const e = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`f${i}`, i]));
      const a = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`f${i}`, i + 1]));
      const text = prettyReport(report([failing('a.pdf', e, a)]));
      assert.equal(text.split('\n').filter(l => /^\s+f\d+: /.test(l)).length, 50);
      assert.match(text, /… and 10 more/);
    });
  });
});

describe('what a report keeps of a value', () => {
  it('writes at most the first characters of a huge or deep value, never the whole', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) {
      deep = [deep];
    }
    const cut = boundedJson(deep, 50);
    assert.deepEqual(cut, { text: '['.repeat(50), whole: false });
    const rows = { rows: Array.from({ length: 50_000 }, (_, i) => ({ i })) };
    assert.equal(boundedJson(rows, 2000).text.length, 2000);
    assert.equal(boundedJson(rows, 2000).whole, false);
    assert.deepEqual(boundedJson({ a: [1, 'x', null, { b: true }] }, 100), {
      text: JSON.stringify({ a: [1, 'x', null, { b: true }] }),
      whole: true,
    });
  });
});
