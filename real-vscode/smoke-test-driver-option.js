// Preloaded (`node --require`) into code-server releases that have no --vscode-option (4.99 among them):
// their command line refuses every flag it does not model, VS Code server's --enable-smoke-test-driver too.
// This adds that one flag to code-server's option table before its entry point parses the command line;
// code-server then hands its parsed options, the new one included, to VS Code's server as they are.
// The extension tests need the driver: without it the web workbench ignores the `payload` URL parameter
// that loads them.
'use strict';
const path = require('path');

const entry = process.argv[1] || '';
if (path.basename(entry) === 'entry.js') {
  const cli = require(path.join(path.dirname(entry), 'cli.js'));
  if (cli.options && !cli.options['enable-smoke-test-driver']) {
    cli.options['enable-smoke-test-driver'] = {
      type: 'boolean',
      description: "VS Code server's smoke-test driver (the extension tests' payload URL parameter).",
    };
  }
}
