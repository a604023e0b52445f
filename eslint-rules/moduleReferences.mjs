/**
 * The module references of a file, as the local rules see them: every `import`, `import type`,
 * `export … from`, `import x = require()`, `require()`, `import()` and `typeof import()`, read with
 * TypeScript's own scanner (ts.preProcessFile, which skips comments and strings) and resolved with
 * TypeScript's resolver and the compiler options of the nearest tsconfig.json, the way tsc resolves them.
 * Packages and files under node_modules are left out: they are never part of this project's graph.
 */
import path from 'node:path';
import ts from 'typescript';

/** @typedef {{ specifier: string, target: string, pos: number, end: number }} Edge */

/** tsconfig path ('' for none) → { options, host } */
const configs = new Map();
/** directory → tsconfig path ('' for none) */
const configOfDir = new Map();

function configFor(file) {
  const dir = path.dirname(file);
  let configPath = configOfDir.get(dir);
  if (configPath === undefined) {
    configPath = ts.findConfigFile(dir, ts.sys.fileExists, 'tsconfig.json') ?? '';
    configOfDir.set(dir, configPath);
  }
  let config = configs.get(configPath);
  if (!config) {
    let options = { module: ts.ModuleKind.Node16, moduleResolution: ts.ModuleResolutionKind.Node16 };
    if (configPath) {
      const parsed = ts.getParsedCommandLineOfConfigFile(
        configPath,
        {},
        { ...ts.sys, onUnRecoverableConfigFileDiagnostic() {} },
      );
      if (parsed) {
        options = parsed.options;
      }
    }
    // JavaScript files take part in circles too (the test runners are plain Node scripts).
    options = { ...options, allowJs: true, noEmit: true };
    config = { options, cache: ts.createModuleResolutionCache(path.dirname(configPath || file), f => f, options) };
    configs.set(configPath, config);
  }
  return config;
}

/**
 * The module references of `text` (the contents of `file`) that resolve to files of this project. */
export function edgesOf(file, text) {
  const { options, cache } = configFor(file);
  const mode = ts.getImpliedNodeFormatForFile(file, cache.getPackageJsonInfoCache(), ts.sys, options);
  /** @type {Edge[]} */
  const edges = [];
  for (const ref of ts.preProcessFile(text, true, true).importedFiles) {
    if (!ref.fileName.startsWith('.') && !path.isAbsolute(ref.fileName)) {
      continue; // a package (node_modules) or a built-in: never part of a circle of ours
    }
    const resolved = ts.resolveModuleName(ref.fileName, file, options, ts.sys, undefined, undefined, mode);
    const target = resolved.resolvedModule?.resolvedFileName;
    if (
      !target ||
      resolved.resolvedModule.isExternalLibraryImport ||
      target.includes(`${path.sep}node_modules${path.sep}`)
    ) {
      continue;
    }
    // TypeScript gives where the quoted specifier starts; report the whole literal, quotes included.
    const quoted = `'"\``.includes(text[ref.pos]);
    const end = ref.pos + ref.fileName.length + (quoted ? 2 : 0);
    edges.push({ specifier: ref.fileName, target: path.resolve(target), pos: ref.pos, end });
  }
  return edges;
}
