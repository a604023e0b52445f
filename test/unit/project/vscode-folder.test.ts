/**
 * .vscode/: what F5 runs must exist. launch.json's configurations name tasks of tasks.json (and those tasks
 * npm scripts or files of the repo), and files the build writes or test/harness/f5.js prepares; a rename on
 * either side breaks F5 without breaking anything else, so this test follows every reference.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';
import { REPO } from '../../repo';

interface LaunchConfig {
  name: string;
  type: string;
  request: string;
  args?: string[];
  outFiles?: string[];
  envFile?: string;
  preLaunchTask?: string;
}
interface Task {
  label?: string;
  type?: string;
  script?: string;
  command?: string;
  args?: string[];
  dependsOn?: string | string[];
  group?: string | { kind: string; isDefault?: boolean };
  isBackground?: boolean;
  problemMatcher?: unknown;
}

/** launch.json and tasks.json are JSONC (comments, trailing commas): read them the way tsc reads tsconfig.json. */
function readJsonc<T>(file: string): T {
  const parsed = ts.parseConfigFileTextToJson(file, fs.readFileSync(path.join(REPO, file), 'utf8'));
  assert.equal(parsed.error, undefined, `${file}: ${ts.flattenDiagnosticMessageText(parsed.error?.messageText, '\n')}`);
  return parsed.config as T;
}

const launch = readJsonc<{ configurations: LaunchConfig[] }>('.vscode/launch.json');
const tasks = readJsonc<{ tasks: Task[] }>('.vscode/tasks.json').tasks;
const scripts = (
  JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
).scripts;
const configuration = (name: string) => {
  const c = launch.configurations.find(x => x.name === name);
  assert.ok(c, `launch.json has "${name}" (has ${launch.configurations.map(x => x.name).join(', ')})`);
  return c;
};
/** A task's label as VS Code names it: its own, or "npm: <script>" for an npm task without one. */
const labelOf = (t: Task) => t.label ?? (t.type === 'npm' ? `npm: ${t.script}` : undefined);

function task(ref: string): Task {
  if (ref === '${defaultBuildTask}') {
    const defaults = tasks.filter(t => typeof t.group === 'object' && t.group.kind === 'build' && t.group.isDefault);
    assert.equal(defaults.length, 1, 'one default build task');
    return defaults[0];
  }
  const t = tasks.find(x => labelOf(x) === ref);
  assert.ok(t, `tasks.json has a task "${ref}" (has ${tasks.map(labelOf).join(', ')})`);
  return t;
}

/** The task and everything it depends on, each checked to run something that exists. */
function taskTree(ref: string): Task[] {
  const t = task(ref);
  if (t.type === 'npm') {
    assert.ok(t.script && scripts[t.script], `package.json has the script "${t.script}" that task "${ref}" runs`);
  }
  if (t.type === 'process' || t.type === 'shell') {
    assert.equal(t.command, 'node', `task "${ref}" runs node`);
    const file = t.args?.[0] ?? '';
    assert.ok(fs.existsSync(path.join(REPO, file)), `task "${ref}" runs ${file}, which exists`);
  }
  const deps = t.dependsOn === undefined ? [] : Array.isArray(t.dependsOn) ? t.dependsOn : [t.dependsOn];
  return [t, ...deps.flatMap(taskTree)];
}

/** `${workspaceFolder}/x` → x (a path inside the repo), for every such string of a configuration. */
function repoPaths(c: LaunchConfig): string[] {
  const values = [...(c.args ?? []), ...(c.outFiles ?? []), ...(c.envFile ? [c.envFile] : [])];
  return values.flatMap(v => {
    const m = /\$\{workspaceFolder\}\/(.*)$/.exec(v);
    return m ? [m[1]] : [];
  });
}

/** What test/harness/f5.js prepares, by its own constants. */
function f5Paths(): Record<string, string> {
  const out = execFileSync(
    process.execPath,
    ['-e', "process.stdout.write(JSON.stringify(require('./test/harness/f5.js')))"],
    { cwd: REPO, encoding: 'utf8' },
  );
  return JSON.parse(out) as Record<string, string>;
}

describe('.vscode: F5', () => {
  it('"Run Extension" starts the extension from dist/, built by the default build task', () => {
    const c = configuration('Run Extension');
    assert.equal(c.type, 'extensionHost');
    assert.ok(c.args?.includes('--extensionDevelopmentPath=${workspaceFolder}'));
    assert.deepEqual(c.outFiles, ['${workspaceFolder}/dist/**/*.js']);
    assert.equal(JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')).main, './dist/extension.js');
    const tree = taskTree(c.preLaunchTask ?? '');
    const esbuild = tree.find(t => t.script && /\besbuild\.mjs --watch\b/.test(scripts[t.script]));
    assert.ok(esbuild, 'the build watches with esbuild.mjs');
    assert.equal(esbuild.problemMatcher, '$esbuild-watch');
    assert.ok(esbuild.isBackground);
    const tsc = tree.find(t => t.script && /\btsc\b.*--watch/.test(scripts[t.script]));
    assert.ok(tsc, 'the build type-checks with tsc --watch');
    assert.equal(tsc.problemMatcher, '$tsc-watch');
  });

  it('"Extension Tests" runs the integration suite out/ holds, with what test/harness/f5.js prepares', () => {
    const c = configuration('Extension Tests');
    assert.equal(c.type, 'extensionHost');
    const tree = taskTree(c.preLaunchTask ?? '');
    // out/ is written by a tsc of tsconfig.test.json (rootDir "."): out/<x> comes from <x>.ts.
    const tscToOut = tree.find(t => t.script && /tsconfig\.test\.json.*--outDir out\b/.test(scripts[t.script]));
    assert.ok(tscToOut, 'a task of the preLaunchTask writes out/ (tsc -p tsconfig.test.json --outDir out)');
    assert.ok(tree.some(t => t.args?.[0] === 'test/harness/f5.js' && t.args[1] === 'stand-in' && t.isBackground));
    assert.ok(tree.some(t => t.args?.[0] === 'test/harness/f5.js' && t.args[1] === 'fresh'));

    const f5 = f5Paths();
    const inRepo = (p: string) => path.relative(REPO, p).split(path.sep).join('/');
    const prepared = new Set([f5.ENV_FILE, f5.WORKSPACE].map(inRepo));
    const expected = {
      '--user-data-dir': inRepo(f5.USER_DATA_DIR),
      '--extensions-dir': inRepo(f5.EXTENSIONS_DIR),
      '--extensionTestsPath': 'out/test/integration/index',
      '--extensionDevelopmentPath': '',
    };
    for (const [flag, where] of Object.entries(expected)) {
      const arg = c.args?.find(a => a.startsWith(`${flag}=`));
      assert.equal(arg, `${flag}=\${workspaceFolder}${where ? `/${where}` : ''}`);
    }
    for (const p of repoPaths(c)) {
      if (p.startsWith('out/')) {
        const source = p.slice('out/'.length).replace(/\*\*\/\*\.js$/, '');
        assert.ok(
          source === '' || fs.existsSync(path.join(REPO, `${source}.ts`)),
          `${p} is compiled from ${source}.ts, which exists`,
        );
      } else if (p.startsWith('dist/')) {
        assert.equal(p, 'dist/**/*.js', 'esbuild.mjs bundles into dist/');
      } else if (p.startsWith('.vscode-test/f5/')) {
        assert.ok(
          prepared.has(p) || Object.values(expected).includes(p),
          `${p} is what test/harness/f5.js prepares (${[...prepared].join(', ')})`,
        );
      } else {
        assert.fail(`${p}: neither built nor prepared by F5's tasks`);
      }
    }
    assert.equal(c.envFile, `\${workspaceFolder}/${inRepo(f5.ENV_FILE)}`);
    assert.ok(c.args?.includes(`\${workspaceFolder}/${inRepo(f5.WORKSPACE)}`), 'it opens the fixture workspace');
  });

  it('recommends ESLint, Prettier and the esbuild problem matchers the watch task uses', () => {
    const { recommendations } = readJsonc<{ recommendations: string[] }>('.vscode/extensions.json');
    for (const id of ['dbaeumer.vscode-eslint', 'esbenp.prettier-vscode', 'connor4312.esbuild-problem-matchers']) {
      assert.ok(recommendations.includes(id), `${id} is recommended`);
    }
  });

  it('ships nothing of .vscode/, .vscode-test/ or the lint rules in the VSIX', async () => {
    // @vscode/vsce's own file list, the one `vsce package` packs.
    const { listFiles } = (await import('@vscode/vsce')) as unknown as {
      listFiles(o: { cwd: string; packageManager: string }): Promise<string[]>;
    };
    const files = await listFiles({ cwd: REPO, packageManager: 'none' });
    // (The bundle is built later in `npm test`: the manifest stands for what ships.)
    assert.ok(files.includes('package.json'), `the VSIX has the manifest: ${files.join(', ')}`);
    const stray = files.filter(f => /^(\.vscode|\.vscode-test|eslint-rules)\//.test(f));
    assert.deepEqual(stray, []);
  });
});
