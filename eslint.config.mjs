import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import local from './eslint-rules/no-import-circles.mjs';

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
