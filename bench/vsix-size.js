#!/usr/bin/env node
// What the webviews add to the VSIX (`npm run bench:vsix`): a script, not a test. Packages the extension
// twice with `vsce package` (which builds the production bundles first, `vscode:prepublish`): as it ships,
// and with the same .vscodeignore without the line that ships `dist/webview/**` (the review panel's and
// the grid's page code, styles and pdf.js). Prints both sizes, the difference against the target (≤ 2 MB larger), the ratio,
// the webview files as the VSIX holds them (compressed, read from the zip's central directory), and the
// gzipped size of the webview code without pdf.js against its target (≤ 60 KB).
//
// usage: node bench/vsix-size.js
'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const zlib = require('zlib');

const REPO = path.join(__dirname, '..');
const MB = 2 ** 20;
const kb = n => `${(n / 1024).toFixed(1)} KB`;

function vsce(out, ignoreFile) {
  const bin = path.join(REPO, 'node_modules', '.bin', process.platform === 'win32' ? 'vsce.cmd' : 'vsce');
  const args = ['package', '--no-dependencies', '-o', out, ...(ignoreFile ? ['--ignoreFile', ignoreFile] : [])];
  execFileSync(bin, args, { cwd: REPO, stdio: ['ignore', 'ignore', 'inherit'] });
  return fs.statSync(out).size;
}

/** The entries of a zip (name, compressed and uncompressed size), from its central directory. */
function zipEntries(file) {
  const buf = fs.readFileSync(file);
  let end = buf.length - 22;
  while (end >= 0 && buf.readUInt32LE(end) !== 0x06054b50) {
    end--;
  }
  if (end < 0) {
    throw new Error(`${file} is not a zip`);
  }
  const count = buf.readUInt16LE(end + 10);
  let at = buf.readUInt32LE(end + 16);
  const entries = [];
  for (let i = 0; i < count; i++) {
    const nameLength = buf.readUInt16LE(at + 28);
    const extra = buf.readUInt16LE(at + 30);
    const comment = buf.readUInt16LE(at + 32);
    entries.push({
      name: buf.toString('utf8', at + 46, at + 46 + nameLength),
      compressed: buf.readUInt32LE(at + 20),
      size: buf.readUInt32LE(at + 24),
    });
    at += 46 + nameLength + extra + comment;
  }
  return entries;
}

function main() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'docutray-vsix-size-'));
  try {
    const withWebviews = path.join(tmp, 'with-webviews.vsix');
    const withoutWebviews = path.join(tmp, 'without-webviews.vsix');
    const ignore = path.join(tmp, 'vscodeignore');
    // vsce lets a `!pattern` win over every other line, whatever the order: drop the lines that ship the
    // webviews rather than adding one after them.
    const shipped = fs.readFileSync(path.join(REPO, '.vscodeignore'), 'utf8').split('\n');
    const without = shipped.filter(l => !/^!dist\/webview\//.test(l.trim()));
    if (without.length === shipped.length) {
      throw new Error('.vscodeignore has no `!dist/webview/...` line to leave out');
    }
    fs.writeFileSync(ignore, without.join('\n'));
    const a = vsce(withWebviews);
    const b = vsce(withoutWebviews, ignore);
    const webviewEntries = zipEntries(withWebviews).filter(e => e.name.startsWith('extension/dist/webview/'));
    if (zipEntries(withoutWebviews).some(e => e.name.startsWith('extension/dist/webview/'))) {
      throw new Error('the VSIX packaged without the webviews still holds some');
    }
    const maps = zipEntries(withWebviews).filter(e => e.name.endsWith('.map'));
    if (maps.length) {
      console.log(`the VSIX holds source maps: ${maps.map(e => e.name).join(', ')}`);
    }
    console.log(`VSIX as it ships:        ${kb(a)}`);
    console.log(`VSIX without webviews:   ${kb(b)}`);
    console.log(
      `webviews add:            ${kb(a - b)} (${((a - b) / MB).toFixed(2)} MB, target ≤ 2 MB); ratio ${(a / b).toFixed(2)}×`,
    );
    console.log(`webview files in the VSIX (${webviewEntries.length}), compressed / as files:`);
    const pdfjs = e => e.name.includes('/pdfjs/');
    for (const [what, pick] of [
      ['pdf.js', pdfjs],
      ['our webview code and styles', e => !pdfjs(e)],
    ]) {
      const es = webviewEntries.filter(pick);
      const sum = k => es.reduce((n, e) => n + e[k], 0);
      console.log(`  ${what}: ${kb(sum('compressed'))} / ${kb(sum('size'))} in ${es.length} files`);
      for (const e of es.sort((x, y) => y.compressed - x.compressed).slice(0, 6)) {
        console.log(`    ${e.name.replace('extension/', '')}: ${kb(e.compressed)} / ${kb(e.size)}`);
      }
    }
    // The production bundles vsce built, gzipped as a browser would fetch them (the webview reads them from disk).
    const dir = path.join(REPO, 'dist', 'webview');
    const own = fs.readdirSync(dir).filter(f => /\.(js|css)$/.test(f));
    let gz = 0;
    for (const f of own) {
      gz += zlib.gzipSync(fs.readFileSync(path.join(dir, f)), { level: 9 }).length;
    }
    console.log(`webview code without pdf.js, gzipped: ${kb(gz)} (${own.join(', ')}; target ≤ 60 KB)`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main();
