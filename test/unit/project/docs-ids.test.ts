/**
 * Every `docutray.*` id a user reads — in the README, in the walkthrough (package.json and any markdown
 * it shows), in the UI strings (l10n/bundle.l10n.json, package.nls.json) — names something the
 * extension has: a setting, a command, a view (or the `<view>.focus` command VS Code adds for it), a
 * walkthrough, or a context key the code sets; and every picture or page the walkthrough shows is in
 * the package.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO } from '../../repo';

const read = (p: string) => fs.readFileSync(path.join(REPO, p), 'utf8');

interface Media {
  image?: string | Record<string, string>;
  altText?: string;
  markdown?: string;
  svg?: string;
}
interface Manifest {
  contributes: {
    commands: { command: string }[];
    configuration: { properties: Record<string, unknown> };
    views: Record<string, { id: string }[]>;
    walkthroughs: { id: string; steps: { id: string; media: Media; completionEvents?: string[] }[] }[];
  };
}

const pkg = JSON.parse(read('package.json')) as Manifest;
const nls = JSON.parse(read('package.nls.json')) as Record<string, string>;

/** The walkthroughs as VS Code shows them: each `%key%` replaced by its text from package.nls.json. */
function walkthroughText(): string {
  return JSON.stringify(pkg.contributes.walkthroughs, null, 1).replace(/"%([^%"]+)%"/g, (whole, key: string) =>
    key in nls ? JSON.stringify(nls[key]) : whole,
  );
}

/**
 * The `docutray.…` ids in a text: not part of a host name, a path or an address (`app.docutray.com`),
 * with a context key's `config.` prefix read as the setting it names.
 */
export function idsIn(text: string): string[] {
  const found = text.replace(/\bconfig\.(?=docutray\.)/g, '').match(/(?<![\w.\-/@])docutray(?:\.[A-Za-z_]\w*)+/g);
  return [...new Set(found ?? [])];
}

/** The context keys the code sets: `setContext` with a literal, or with a constant defined in the same file. */
function contextKeys(): string[] {
  const keys: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        walk(p);
      } else if (e.name.endsWith('.ts')) {
        const src = fs.readFileSync(p, 'utf8');
        for (const m of src.matchAll(/'setContext',\s*(?:'([^']+)'|(\w+))/g)) {
          const name = m[1] ?? new RegExp(`const ${m[2]} = '([^']+)'`).exec(src)?.[1];
          // A table of keys (`const KEYS = { step: 'docutray.…', … }`, set as KEYS[step]): each of its strings.
          const table = m[2] && new RegExp(`const ${m[2]} = \\{([^}]*)\\}`).exec(src)?.[1];
          const names = name ? [name] : [...(table || '').matchAll(/'(docutray\.[^']+)'/g)].map(t => t[1]);
          assert.ok(
            names.length,
            `${path.relative(REPO, p)}: setContext with ${m[2]}, which is not a constant string here`,
          );
          keys.push(...names);
        }
      }
    }
  };
  walk(path.join(REPO, 'src'));
  return keys;
}

function known(): Map<string, string> {
  const c = pkg.contributes;
  const all = new Map<string, string>();
  for (const id of Object.keys(c.configuration.properties)) {
    all.set(id, 'setting');
  }
  for (const { command } of c.commands) {
    all.set(command, 'command');
  }
  for (const { id } of Object.values(c.views).flat()) {
    all.set(id, 'view');
    all.set(`${id}.focus`, 'view command');
  }
  for (const { id } of c.walkthroughs) {
    all.set(id, 'walkthrough');
  }
  for (const key of contextKeys()) {
    all.set(key, 'context key');
  }
  return all;
}

/** The walkthrough's media files, as package.json names them (an image may have one file per theme). */
function mediaFiles(media: Media): string[] {
  const image = typeof media.image === 'string' ? [media.image] : Object.values(media.image ?? {});
  return [...image, ...(media.markdown ? [media.markdown] : []), ...(media.svg ? [media.svg] : [])];
}

/** What the user reads, by where it is read. */
function sources(): [string, string][] {
  const walkthroughs = pkg.contributes.walkthroughs;
  const markdown = walkthroughs
    .flatMap(w => w.steps)
    .flatMap(s => (s.media.markdown ? [[s.media.markdown, read(s.media.markdown)] as [string, string]] : []));
  const bundle = JSON.parse(read('l10n/bundle.l10n.json')) as Record<string, string>;
  return [
    ['README.md', read('README.md')],
    ['the walkthrough (package.json with its strings)', walkthroughText()],
    ...markdown,
    ['package.nls.json', Object.values(nls).join('\n')],
    ['l10n/bundle.l10n.json', [...Object.keys(bundle), ...Object.values(bundle)].join('\n')],
  ];
}

describe('docs and UI strings name only real ids', () => {
  it('reads ids the way a user does: settings, commands, a context key prefix, not host names', () => {
    assert.deepEqual(
      idsIn(
        'Set `docutray.steps` or run docutray.runs.focus; when `config.docutray.saveResults.mode != never`. ' +
          'Keys go to https://app.docutray.com, support@docutray.com, docutray-result:/x. See docutray.apiBaseUrl.',
      ),
      ['docutray.steps', 'docutray.runs.focus', 'docutray.saveResults.mode', 'docutray.apiBaseUrl'],
    );
    const ids = known();
    assert.equal(ids.get('docutray.saveResults.mode'), 'setting');
    assert.equal(ids.get('docutray.runs.focus'), 'view command');
    assert.equal(ids.get('docutray.hasApiKey'), 'context key');
    assert.equal(ids.get('docutray.saveResults'), undefined, 'a setting name that does not exist is not known');
  });

  for (const [where, text] of sources()) {
    it(`every docutray.* id in ${where} is a real setting, command, view or context key`, () => {
      const ids = known();
      const found = idsIn(text);
      const unknown = found.filter(id => !ids.has(id));
      assert.deepEqual(unknown, [], `${where} names ids the extension does not have`);
    });
  }

  it('the README and the walkthrough name the settings and commands they are about', () => {
    const readme = idsIn(read('README.md'));
    for (const id of ['docutray.steps', 'docutray.saveResults.mode', 'docutray.batch.reprocess', 'docutray.runStep']) {
      assert.ok(readme.includes(id), `the README does not name ${id}`);
    }
    const walkthrough = idsIn(walkthroughText());
    for (const id of ['docutray.setApiKey', 'docutray.configureSteps', 'docutray.runStep', 'docutray.runs.focus']) {
      assert.ok(walkthrough.includes(id), `the walkthrough does not name ${id}`);
    }
  });

  it("every walkthrough step's media is in the package: an image for each theme, with its alternative text", () => {
    const steps = pkg.contributes.walkthroughs.flatMap(w => w.steps);
    assert.ok(steps.length >= 5, `${steps.length} walkthrough steps`);
    for (const step of steps) {
      const files = mediaFiles(step.media);
      assert.ok(files.length > 0, `step ${step.id} shows nothing`);
      for (const f of files) {
        assert.ok(fs.existsSync(path.join(REPO, f)), `step ${step.id}: ${f} does not exist`);
        assert.ok(f.startsWith('media/'), `step ${step.id}: ${f} is outside media/, which the VSIX ships`);
      }
      if (typeof step.media.image === 'object') {
        // VS Code builds a URI from each of these four: a missing one fails the whole walkthrough.
        assert.deepEqual(Object.keys(step.media.image).sort(), ['dark', 'hc', 'hcLight', 'light'], `step ${step.id}`);
      }
      if (step.media.image) {
        assert.ok(step.media.altText, `step ${step.id}'s image has no alternative text`);
      }
    }
  });
});
