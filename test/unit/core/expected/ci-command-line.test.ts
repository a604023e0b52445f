import * as assert from 'node:assert/strict';
import { ciCommandLine, shellWord } from '../../../../src/core/expected/ciCommandLine';

const base = { version: '0.1.0', repository: 'https://github.com/docutray-community/docutray-steps-vscode' };
const TARBALL =
  '--package=https://github.com/docutray-community/docutray-steps-vscode/releases/download/v0.1.0/docutray-steps-0.1.0.tgz';

describe('the command line for CI', () => {
  it('checks the folders of the expected results with their step, from the release tarball', () => {
    const { line, stepId, folders } = ciCommandLine({
      ...base,
      documents: [
        { folder: 'samples', stepId: 'invoice-extract' },
        { folder: 'samples/more', stepId: 'invoice-extract' },
        { folder: 'samples', stepId: 'invoice-extract' },
        { folder: 'receipts', stepId: 'receipt' },
      ],
      configuredSteps: ['receipt'],
    });
    assert.equal(stepId, 'invoice-extract');
    assert.deepEqual(folders, ['samples', 'samples/more']);
    assert.equal(
      line,
      `npx --yes ${TARBALL} docutray-steps check samples samples/more --step invoice-extract --reporter pretty --reporter junit=reports/docutray.xml`,
    );
  });

  it('checks the whole folder when documents sit at its top or in many folders', () => {
    const top = ciCommandLine({ ...base, documents: [{ folder: '', stepId: 's' }], configuredSteps: [] });
    assert.deepEqual(top.folders, ['.']);
    const many = ciCommandLine({
      ...base,
      documents: ['a', 'b', 'c', 'd', 'e'].map(folder => ({ folder, stepId: 's' })),
      configuredSteps: [],
    });
    assert.deepEqual(many.folders, ['.']);
  });

  it('without expected results: the first configured step, or a placeholder to replace', () => {
    assert.match(
      ciCommandLine({ ...base, documents: [], configuredSteps: ['invoice', 'x'] }).line,
      / check \. --step invoice /,
    );
    const none = ciCommandLine({ ...base, documents: [], configuredSteps: [] });
    assert.equal(none.stepId, undefined);
    assert.match(none.line, / --step <step-id> /);
  });

  it('quotes folder names and step ids a shell would read otherwise', () => {
    const { line } = ciCommandLine({
      ...base,
      documents: [{ folder: "it's $(rm -rf ~)", stepId: 'a b' }],
      configuredSteps: [],
    });
    assert.match(line, / check 'it'\\''s \$\(rm -rf ~\)' --step 'a b' /);
    assert.equal(shellWord('samples/2024_q1'), 'samples/2024_q1');
    assert.equal(shellWord('`x`'), "'`x`'");
  });
});
