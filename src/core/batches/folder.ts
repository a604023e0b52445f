/**
 * What a folder run takes: every PDF and image under the folder, less what `files.exclude` (the patterns set
 * to true) and `docutray.batch.exclude` leave out — every pattern, braces included. A pattern that cannot
 * be read is never dropped in silence: it is returned, and the confirmation names it.
 *
 * VS Code's file search takes one exclude glob, and a glob group `{a,b}` cannot hold a pattern with braces
 * or commas of its own: so braces are expanded here (`**\/*.{bak,old}.pdf` is two patterns) for the search
 * to prune what it can, and every document found is matched again against every pattern with the same
 * rules (`**`, `*`, `?`, `[…]`, `{…}`), relative to its workspace folder. Pure: no file system.
 */

/** `docutray.batch.exclude`'s default, as package.json declares it (a test keeps the two equal). */
export const DEFAULT_BATCH_EXCLUDE: readonly string[] = ['**/node_modules/**', '**/.git/**'];

/**
 * VS Code's default `files.exclude` (1.139, desktop). VS Code merges a workspace's `files.exclude` over it
 * key by key (`"**\/.git": false` brings `.git` back); the editor gets the merged value from VS Code, the
 * command line merges a settings file over this.
 */
export const DEFAULT_FILES_EXCLUDE: Readonly<Record<string, boolean>> = {
  '**/.git': true,
  '**/.svn': true,
  '**/.hg': true,
  '**/.jj': true,
  '**/.DS_Store': true,
  '**/Thumbs.db': true,
};

/** `**\/*.{pdf,PDF,png,PNG,…}`: every supported extension, as typed in lower and upper case. */
export function documentGlob(extensions: readonly string[]): string {
  const all = new Set<string>();
  for (const e of extensions) {
    const x = e.replace(/^\./, '');
    all.add(x.toLowerCase());
    all.add(x.toUpperCase());
  }
  return `**/*.{${[...all].join(',')}}`;
}

/** At most this many patterns from one pattern's braces (`{a,b}{c,d}` is four): beyond, it is not usable. */
const MAX_EXPANSION = 256;

/** The alternatives of a pattern's braces, nested ones too; undefined when they do not balance or explode. */
export function expandBraces(pattern: string): string[] | undefined {
  let depth = 0;
  let open = -1;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '[') {
      // A character class is taken whole: a brace inside it is literal.
      const end = pattern.indexOf(']', i + 2);
      if (end > i) {
        i = end;
        continue;
      }
    } else if (c === '{') {
      if (depth++ === 0) {
        open = i;
      }
    } else if (c === '}') {
      if (depth === 0) {
        return undefined;
      }
      if (--depth === 0) {
        const before = pattern.slice(0, open);
        const after = pattern.slice(i + 1);
        const out: string[] = [];
        for (const alt of splitTop(pattern.slice(open + 1, i))) {
          const expanded = expandBraces(before + alt + after);
          if (!expanded) {
            return undefined;
          }
          out.push(...expanded);
          if (out.length > MAX_EXPANSION) {
            return undefined;
          }
        }
        return [...new Set(out)];
      }
    }
  }
  return depth === 0 ? [pattern] : undefined;
}

/** Splits a brace group's body at its top-level commas. */
function splitTop(body: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === '{') {
      depth++;
    } else if (c === '}') {
      depth--;
    } else if (c === ',' && depth === 0) {
      parts.push(body.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(body.slice(start));
  return parts;
}

/** A brace-free glob as a regular expression over a `/`-separated relative path. */
function toRegExp(glob: string): RegExp | undefined {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') {
      if (glob[i + 1] === '*') {
        const atStart = i === 0 || glob[i - 1] === '/';
        const atEnd = i + 2 === glob.length || glob[i + 2] === '/';
        if (atStart && atEnd) {
          // `**/` matches any number of folders, none included; a trailing `**` anything below.
          re += i + 2 === glob.length ? '.*' : '(?:[^/]*/)*';
          i += 2;
          continue;
        }
        i++;
      }
      re += '[^/]*';
    } else if (c === '?') {
      re += '[^/]';
    } else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) {
        return undefined;
      }
      let body = glob.slice(i + 1, end).replace(/\\/g, '\\\\');
      if (body.startsWith('!')) {
        body = `^${body.slice(1)}`;
      }
      re += `[${body}]`;
      i = end;
    } else {
      re += c.replace(/[.+^${}()|\\]/g, '\\$&');
    }
  }
  try {
    return new RegExp(`^${re}$`);
  } catch {
    return undefined;
  }
}

export interface ExcludeRules {
  /** Every pattern, braces expanded (for the search's one exclude glob, and for matching). */
  patterns: string[];
  /** Patterns that could not be read (unbalanced braces, a bad character class): named to the user. */
  unusable: string[];
  /** Whether a path (relative to its workspace folder, `/`-separated) or a folder above it is excluded. */
  excludes(relativePath: string): boolean;
  /**
   * Whether everything below a folder (relative, `/`-separated) is excluded, so a walk need not enter it:
   * the folder is excluded itself, or a pattern `<folder pattern>/**` matches it. False when unsure.
   */
  excludesFolder(relativeFolder: string): boolean;
}

/** The rules of a folder run from `files.exclude` and `docutray.batch.exclude` as the settings hold them. */
export function excludeRules(filesExclude: unknown, batchExclude: unknown): ExcludeRules {
  const raw: string[] = [];
  if (filesExclude && typeof filesExclude === 'object' && !Array.isArray(filesExclude)) {
    for (const [k, v] of Object.entries(filesExclude as Record<string, unknown>)) {
      if (v === true) {
        raw.push(k);
      }
    }
  }
  if (Array.isArray(batchExclude)) {
    raw.push(...batchExclude.filter((p): p is string => typeof p === 'string'));
  }
  const patterns: string[] = [];
  const unusable: string[] = [];
  const matchers: RegExp[] = [];
  const folderMatchers: RegExp[] = [];
  for (const p of new Set(raw.map(r => r.trim().replace(/^\.\//, '').replace(/\/+$/, '')).filter(Boolean))) {
    const expanded = expandBraces(p);
    const regexps = expanded?.map(toRegExp);
    if (!expanded || !regexps || regexps.some(r => !r)) {
      unusable.push(p);
      continue;
    }
    patterns.push(...expanded);
    matchers.push(...(regexps as RegExp[]));
    for (const e of expanded) {
      const folder = e.endsWith('/**') ? toRegExp(e.slice(0, -3)) : undefined;
      if (folder) {
        folderMatchers.push(folder);
      }
    }
  }
  const anyPrefix = (relativePath: string, against: readonly RegExp[]): boolean => {
    const parts = relativePath.split('/').filter(Boolean);
    // A pattern naming a folder leaves out what is inside it too.
    for (let n = parts.length; n > 0; n--) {
      const prefix = parts.slice(0, n).join('/');
      if (against.some(m => m.test(prefix))) {
        return true;
      }
    }
    return false;
  };
  return {
    patterns: [...new Set(patterns)],
    unusable,
    excludes: relativePath => anyPrefix(relativePath, matchers),
    excludesFolder: relativeFolder => anyPrefix(relativeFolder, matchers) || anyPrefix(relativeFolder, folderMatchers),
  };
}

/**
 * The one exclude glob for VS Code's search, from brace-free patterns (a pattern with a comma cannot sit in
 * a group; the matching after the search still leaves it out). Undefined when there is nothing to pass.
 */
export function searchExcludeGlob(patterns: readonly string[]): string | undefined {
  const usable = patterns.filter(p => !/[{},]/.test(p)).flatMap(p => (p.endsWith('/**') ? [p] : [p, `${p}/**`]));
  const unique = [...new Set(usable)];
  if (!unique.length) {
    return undefined;
  }
  return unique.length === 1 ? unique[0] : `{${unique.join(',')}}`;
}
