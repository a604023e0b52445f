/**
 * local/layers: imports point down only, floor by floor.
 *
 * The options give a floor plan for a folder (its "root"): the rooms directly inside it (a folder, or a file
 * at its top), floor by floor, bottom first. A module may import from its own room and from rooms on lower
 * floors; an import up into a higher floor is an error, and so is one between two rooms on the same floor
 * (they may not import each other at all, so no pair of rooms ever leans on the other). A room that is on
 * no floor is an error too, so a new folder gets its floor when it is made. Plans nest: `src` and
 * `src/core` each have one, and an import inside `src/core` is checked against both.
 *
 * Every module reference counts, as in the circle rule: `import type`, `export … from`, `require()`,
 * `import()` and `typeof import()` (moduleReferences.mjs). A type-only import up still ties the lower room
 * to the higher one: it cannot be moved, tested or understood without it.
 *
 * `allow` lists known imports up, file to file, each with why it is there and where it is to go; an
 * entry that allows nothing any more (the import moved or is gone) is reported, so the list only shrinks.
 *
 * Modelled on VS Code's own `code-layering` lint (its rooms are base, platform, editor, workbench).
 */
import fs from 'node:fs';
import path from 'node:path';
import { edgesOf } from './moduleReferences.mjs';

/** `/`-separated path of `file` relative to `dir`. */
function relative(dir, file) {
  return path.relative(dir, file).split(path.sep).join('/');
}

function isInside(dir, file) {
  const rel = path.relative(dir, file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

/**
 * @typedef {{ root: string, dir: string, floors: string[][], floorOf: Map<string, number> }} Plan
 * @typedef {{ from: string, to: string, why: string }} Allowed
 */

/** The plans of the options, with each room's floor (0 = bottom). */
function plansOf(floors, cwd) {
  return Object.entries(floors).map(([root, list]) => ({
    root,
    dir: path.resolve(cwd, root),
    floors: list,
    floorOf: new Map(list.flatMap((rooms, i) => rooms.map(room => [room, i]))),
  }));
}

/** What is wrong with an import of `to` from `from` under `plan`, or undefined. */
function problemOf(plan, from, to) {
  if (!isInside(plan.dir, to)) {
    return undefined;
  }
  const fromRoom = relative(plan.dir, from).split('/')[0];
  const toRoom = relative(plan.dir, to).split('/')[0];
  if (fromRoom === toRoom) {
    return undefined;
  }
  const fromFloor = plan.floorOf.get(fromRoom);
  const toFloor = plan.floorOf.get(toRoom);
  if (fromFloor === undefined || toFloor === undefined) {
    return { messageId: 'unplaced', data: { room: fromFloor === undefined ? fromRoom : toRoom, root: plan.root } };
  }
  if (toFloor < fromFloor) {
    return undefined;
  }
  const floorName = i => (plan.floors[i].length > 1 ? `${i + 1} (${plan.floors[i].join(', ')})` : `${i + 1}`);
  return toFloor > fromFloor
    ? {
        messageId: 'up',
        data: {
          from: fromRoom,
          to: toRoom,
          fromFloor: floorName(fromFloor),
          toFloor: floorName(toFloor),
          root: plan.root,
        },
      }
    : { messageId: 'sameFloor', data: { from: fromRoom, to: toRoom, floor: floorName(fromFloor), root: plan.root } };
}

/** @type {import('eslint').Rule.RuleModule} */
const rule = {
  meta: {
    type: 'problem',
    docs: {
      description:
        'Imports point down only: a declared order of rooms (folders) per root, no import up, none between rooms on one floor.',
    },
    schema: [
      {
        type: 'object',
        additionalProperties: false,
        required: ['floors'],
        properties: {
          floors: {
            type: 'object',
            additionalProperties: {
              type: 'array',
              minItems: 1,
              items: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
            },
          },
          allow: {
            type: 'array',
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['from', 'to', 'why'],
              properties: {
                from: { type: 'string', minLength: 1 },
                to: { type: 'string', minLength: 1 },
                why: { type: 'string', minLength: 1 },
              },
            },
          },
        },
      },
    ],
    messages: {
      up:
        "'{{specifier}}' imports up: {{from}} is on floor {{fromFloor}} of {{root}}, {{to}} on floor {{toFloor}}. " +
        'Imports point down only (type-only imports and require() too): move what both need to a room below ' +
        '{{from}}, or have it passed in from above.',
      sameFloor:
        "'{{specifier}}': {{from}} and {{to}} are both on floor {{floor}} of {{root}} and may not import each " +
        'other: move what both need to a room below them, or give one of them a floor of its own (eslint.config.mjs).',
      unplaced:
        "'{{specifier}}': the room '{{room}}' in {{root}} is on no floor. Give it its floor in the local/layers " +
        'rule (eslint.config.mjs): which rooms it may import, and which may import it.',
      unneeded:
        'The local/layers allow-list entry {{from}} → {{to}} allows nothing any more: delete it (eslint.config.mjs).',
    },
  },
  create(context) {
    const file = path.resolve(context.physicalFilename);
    if (!path.isAbsolute(context.physicalFilename) || !fs.existsSync(file)) {
      return {}; // text without a file (stdin): no place in any plan
    }
    const { floors, allow = [] } = context.options[0] ?? { floors: {} };
    const cwd = context.cwd;
    const plans = plansOf(floors, cwd).filter(plan => isInside(plan.dir, file));
    /** @type {Allowed[]} */
    const allowed = allow.filter(entry => path.resolve(cwd, entry.from) === file);
    if (plans.length === 0 && allowed.length === 0) {
      return {};
    }
    return {
      Program() {
        const sourceCode = context.sourceCode;
        const used = new Set();
        for (const edge of edgesOf(file, sourceCode.text)) {
          const loc = { start: sourceCode.getLocFromIndex(edge.pos), end: sourceCode.getLocFromIndex(edge.end) };
          for (const plan of plans) {
            const problem = problemOf(plan, file, edge.target);
            if (!problem) {
              continue;
            }
            const entry = allowed.find(a => path.resolve(cwd, a.to) === edge.target);
            if (entry) {
              used.add(entry);
              continue;
            }
            context.report({ loc, messageId: problem.messageId, data: { specifier: edge.specifier, ...problem.data } });
          }
        }
        for (const entry of allowed) {
          if (!used.has(entry)) {
            context.report({
              loc: { line: 1, column: 0 },
              messageId: 'unneeded',
              data: { from: entry.from, to: entry.to },
            });
          }
        }
      },
    };
  },
};

export default rule;
