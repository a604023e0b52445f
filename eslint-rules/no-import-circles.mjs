/**
 * local/no-import-circles: a module must not import itself back, through any chain of modules.
 *
 * Every module reference counts: `import`, `import type`, `export … from`, `import x = require()`,
 * `require()`, `import()` and `typeof import()`. A type-only edge costs nothing at run time, but a circle
 * through one still ties the modules together (neither can move, be tested or be bundled apart from the
 * other), and a lazy `require()` only hides the same circle until the code that needs it runs.
 * import-x/no-cycle drops exactly those edges from its module graph, so it stays silent on such circles.
 *
 * Module references are read and resolved as tsc does (moduleReferences.mjs). Files under node_modules are
 * outside the graph.
 */
import fs from 'node:fs';
import path from 'node:path';
import { edgesOf } from './moduleReferences.mjs';

/** file → { mtimeMs, size, edges } from its contents on disk */
const onDisk = new Map();

/**
 * A file's edges from disk, re-read when its size or mtime changed; `seen` memoises the stat for one lint of
 * one file (a search visits each file once anyway).
 */
function diskEdges(file, seen) {
  if (seen.has(file)) {
    return seen.get(file);
  }
  let edges = [];
  try {
    const stat = fs.statSync(file);
    const cached = onDisk.get(file);
    if (cached && cached.mtimeMs === stat.mtimeMs && cached.size === stat.size) {
      edges = cached.edges;
    } else {
      edges = edgesOf(file, fs.readFileSync(file, 'utf8'));
      onDisk.set(file, { mtimeMs: stat.mtimeMs, size: stat.size, edges });
    }
  } catch {
    onDisk.delete(file); // gone or unreadable: no edges
  }
  seen.set(file, edges);
  return edges;
}

/** The shortest chain of files from `start` back to `goal` (both included), or undefined. */
function routeBack(start, goal, edgesOfFile) {
  const previous = new Map([[start, null]]);
  const queue = [start];
  for (let i = 0; i < queue.length; i++) {
    const file = queue[i];
    for (const { target } of edgesOfFile(file)) {
      if (previous.has(target)) {
        continue;
      }
      previous.set(target, file);
      if (target === goal) {
        const route = [goal];
        for (let f = file; f !== null; f = previous.get(f)) {
          route.unshift(f);
        }
        return route;
      }
      queue.push(target);
    }
  }
  return undefined;
}

/** @type {import('eslint').Rule.RuleModule} */
const rule = {
  meta: {
    type: 'problem',
    docs: {
      description: 'Forbid import circles between modules, counting type-only imports, require() and import() as well.',
    },
    schema: [],
    messages: {
      circle:
        "'{{specifier}}' closes an import circle: {{route}}. Type-only imports, require() and import() count " +
        'too; move what both sides need into a module of its own.',
    },
  },
  create(context) {
    const file = path.resolve(context.physicalFilename);
    if (!path.isAbsolute(context.physicalFilename) || !fs.existsSync(file)) {
      return {}; // text without a file (stdin): nothing to follow
    }
    return {
      Program() {
        const sourceCode = context.sourceCode;
        const own = edgesOf(file, sourceCode.text); // the text being linted, saved or not
        const seen = new Map([[file, own]]);
        const edgesOfFile = f => diskEdges(f, seen);
        const show = f => path.relative(context.cwd, f) || f;
        for (const edge of own) {
          const route = edge.target === file ? [file] : routeBack(edge.target, file, edgesOfFile);
          if (!route) {
            continue;
          }
          context.report({
            loc: { start: sourceCode.getLocFromIndex(edge.pos), end: sourceCode.getLocFromIndex(edge.end) },
            messageId: 'circle',
            data: { specifier: edge.specifier, route: [file, ...route].map(show).join(' → ') },
          });
        }
      },
    };
  },
};

export default rule;
