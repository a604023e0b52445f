/** Parts of file names the stores and the result names are made of. */
import * as assert from 'node:assert/strict';
import { safeFileNamePart } from '../../../../src/core/store/fileNames';

describe('core store: safe file name parts', () => {
  it('replaces what no platform allows in a name, and a leading dot', () => {
    assert.equal(safeFileNamePart('a/b:c*?.pdf'), 'a_b_c__.pdf');
    assert.equal(safeFileNamePart('..'), '_');
    assert.equal(safeFileNamePart('.hidden'), '_hidden');
    assert.equal(safeFileNamePart('tab\there'), 'tab_here');
  });
  it('keeps other scripts, bounds the length and never returns an empty name', () => {
    assert.equal(safeFileNamePart('factura-ñandú 請求書.pdf'), 'factura-ñandú 請求書.pdf');
    assert.equal(safeFileNamePart('x'.repeat(300)).length, 120);
    assert.equal(safeFileNamePart('   '), '_');
  });
});
