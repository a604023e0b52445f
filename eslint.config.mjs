import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import noImportCircles from './eslint-rules/no-import-circles.mjs';
import layers from './eslint-rules/layers.mjs';

const local = { meta: { name: 'local' }, rules: { 'no-import-circles': noImportCircles, layers } };

/**
 * The floors of the source, bottom first (local/layers): a room (a folder, or a file at the top of the root)
 * imports only from rooms on lower floors, never up and never across its own floor. CONTRIBUTING.md
 * ("Where things are") and docs/architecture.md ("Floors") say what each room holds.
 */
const FLOORS = {
  'src/core': [
    ['json', 'text', 'async', 'files'], // reading JSON from outside, plain text for messages, sleeping and a bounded pool, writes kept inside a root
    ['store'], // the record folders windows share, safe file names
    ['api'], // what the service says: errors, executions, retries, the request budget, the base URL, usage
    ['documents', 'polling'], // inputs and their upload; the poll schedule and waiting
    ['client'], // the HTTP client: starts documents, polls them
    ['runs'],
    ['batches'],
    ['results'],
    ['expected'],
    ['review'], // field rows and accuracy from the one comparison, the value search, the panel's messages
  ],
  src: [
    ['core'],
    ['log.ts', 'settings.ts', 'ask.ts', 'cli'], // the command line sees the core only
    ['api'],
    ['documents'], // a document's file: its URI, name, upload input and metadata variables
    ['errorPresenter.ts'],
    ['results'],
    ['runs'],
    ['batches'],
    ['views'], // the Runs view and its batch nodes, above the runs and batches they show
    ['testing'],
    ['walkthrough'], // what the walkthrough's steps tick on: a bundle loaded after activation, told by the runtime
    ['services.ts'], // builds the features; only the commands and the entry points take the whole bag
    ['review'], // the review panel: its own bundle, given the services by the commands and the runtime
    ['commands'],
    ['runtime.ts', 'lazyProviders.ts'],
    ['extension.ts'],
  ],
};

/**
 * Imports that still point up, file to file, until they move: none now. An entry says why it is there and
 * where it goes ({ from, to, why }); lint reports an entry that allows nothing any more.
 */
const KNOWN_UPWARD_IMPORTS = [];

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', 'test-output/**', '.vscode-test/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    plugins: { local },
    rules: {
      'local/no-import-circles': 'error',
      curly: 'error',
      eqeqeq: ['error', 'smart'],
      'no-throw-literal': 'error',
      semi: 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
    },
  },
  {
    files: ['src/**/*.ts'],
    rules: { 'local/layers': ['error', { floors: FLOORS, allow: KNOWN_UPWARD_IMPORTS }] },
  },
  {
    // The webviews' code runs in a browser page (webview/tsconfig.json has the DOM lib).
    files: ['webview/**/*.ts'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    // The core is VS Code-free: it is unit-tested in plain Node and must stay that way. So is the
    // command line, which runs in plain Node on the same core.
    files: ['src/core/**/*.ts', 'src/cli/**/*.ts'],
    rules: {
      // The typescript-eslint rule also sees `import x = require('vscode')`, which the core rule misses.
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'vscode', message: 'src/core/ must not depend on VS Code; put VS Code glue beside it.' }],
        },
      ],
    },
  },
  {
    // Activation cost: esbuild turns every `import * as vscode from 'vscode'` into a copy of the whole API
    // object (one getter per export, ~300 of them, once per importing module): about 10 ms of our
    // activation on the benchmark machine. `import vscode = require('vscode')` compiles to a plain require,
    // and so does a named import, which `l10n` uses: `l10n.t('…')` is the form `vscode-l10n-dev export`
    // finds (it does not follow `import x = require`).
    files: ['src/**/*.ts'],
    ignores: ['src/core/**', 'src/cli/**'],
    rules: {
      '@typescript-eslint/no-require-imports': ['error', { allowAsImport: true }],
      'no-restricted-syntax': [
        'error',
        {
          selector:
            "ImportDeclaration[source.value='vscode'][importKind!='type'] > :matches(ImportNamespaceSpecifier, ImportDefaultSpecifier)",
          message:
            "Write `import vscode = require('vscode');` (esbuild copies the whole API for a namespace or default import; see eslint.config.mjs).",
        },
        {
          selector: "MemberExpression[object.name='vscode'][property.name='l10n']",
          message:
            "Write `import { l10n } from 'vscode';` and `l10n.t('…')`: `vscode-l10n-dev export` only finds that form.",
        },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
