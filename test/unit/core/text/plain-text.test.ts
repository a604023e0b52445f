/** Text from data renders as text: no link (no command: link) from a file name, a setting or DocuTray. */
import * as assert from 'assert';
import {
  ZERO_WIDTH_SPACE,
  escapeHtml,
  escapeMarkdown,
  hasNotificationLink,
  plainText,
} from '../../../../src/core/text/plainText';

describe('plain text in messages', () => {
  const hostile = '[Open](command:workbench.action.quit).pdf';

  it('VS Code would render the raw name as a command link (the check is real)', () => {
    assert.ok(hasNotificationLink(hostile));
    assert.ok(hasNotificationLink(`DocuTray: Fast on ${hostile} finished.`));
    // A backslash does not help: the notification renderer knows no escapes.
    assert.ok(hasNotificationLink('\\[Open\\](command:x)'.replace(/\\\]/, ']')));
  });

  it('breaks every link a value could form, and still reads the same', () => {
    const out = plainText(hostile);
    assert.ok(!hasNotificationLink(out));
    assert.ok(!hasNotificationLink(`Skipped ${out}: DocuTray processes PDFs and images only.`));
    assert.strictEqual(out.split(ZERO_WIDTH_SPACE).join(''), hostile, 'only invisible characters added');
    for (const s of [
      '[a](https://evil.example)',
      '[x](file:///etc/passwd)',
      '[y](command:a?%5B%5D "t")',
      '[[z]](command:q)',
    ]) {
      assert.ok(!hasNotificationLink(plainText(s)), s);
    }
    // Pieces that only form a link together: data that ends in "]" before a template's "(".
    assert.ok(!hasNotificationLink(`${plainText('[Open]')}(command:x)`));
    assert.strictEqual(plainText(plainText(hostile)), plainText(hostile), 'idempotent');
    assert.strictEqual(plainText('a\nb\r\nc'), 'a b c');
    assert.strictEqual(plainText(42), '42');
  });

  it('escapes markdown for tooltips', () => {
    assert.strictEqual(escapeMarkdown(hostile), '\\[Open\\]\\(command:workbench\\.action\\.quit\\)\\.pdf');
    assert.strictEqual(escapeMarkdown('<img src=x>&*_`#!'), '&lt;img src=x&gt;&amp;\\*\\_\\`\\#\\!');
  });

  it('escapes the five characters HTML gives meaning to, and nothing else', () => {
    assert.strictEqual(
      escapeHtml(`<a href="x" title='y'>&amp;</a> é 1,160.00`),
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt; é 1,160.00',
    );
  });
});
