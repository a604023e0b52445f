import * as assert from 'node:assert/strict';
import { withinSentence } from '../../../../src/core/text/sentence';

describe('text inside a sentence', () => {
  it('drops its own final full stop, so "Failed: {0}." never ends in two', () => {
    const reason = 'DocuTray could not start the step (500). Nothing started, so sending it again bills it once.';
    assert.equal(`Failed: a.pdf: ${withinSentence(reason)}.`, `Failed: a.pdf: ${reason}`);
    assert.equal(withinSentence('No invoice found '), 'No invoice found');
    assert.equal(withinSentence('Wait...'), 'Wait...', 'an ellipsis stays');
    assert.equal(withinSentence('Wait…'), 'Wait…');
    assert.equal(withinSentence(''), '');
  });
});
