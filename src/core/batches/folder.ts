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

/**
 * One step of a compiled glob. `star` is `*` (any run within a folder name), `rest` a trailing `**`
 * (anything below), `folders` a `**\/` (any number of whole folders, none included).
 */
type GlobToken =
  | { kind: 'char'; char: string }
  | { kind: 'one' }
  | { kind: 'class'; test: RegExp }
  | { kind: 'star' }
  | { kind: 'rest' }
  | { kind: 'folders' };

/** A brace-free glob as a matcher over a `/`-separated relative path; undefined when it cannot be read. */
export type GlobMatcher = (path: string) => boolean;

/**
 * A brace-free glob compiled to tokens, matched by simulating all its positions at once (an NFA): each
 * character of the path costs at most the glob's length, whatever the number of `*` (a regular
 * expression backtracks: twelve `*` against a long name took seconds). Same language as the regular
 * expression this replaced: `**` at a folder boundary, `*`, `?`, `[…]` and `[!…]`, the rest literal.
 */
export function compileGlob(glob: string): GlobMatcher | undefined {
  const tokens: GlobToken[] = [];
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') {
      if (glob[i + 1] === '*') {
        const atStart = i === 0 || glob[i - 1] === '/';
        const atEnd = i + 2 === glob.length || glob[i + 2] === '/';
        if (atStart && atEnd) {
          tokens.push({ kind: i + 2 === glob.length ? 'rest' : 'folders' });
          i += 2;
          continue;
        }
        i++;
      }
      tokens.push({ kind: 'star' });
    } else if (c === '?') {
      tokens.push({ kind: 'one' });
    } else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) {
        return undefined;
      }
      let body = glob.slice(i + 1, end).replace(/\\/g, '\\\\');
      if (body.startsWith('!')) {
        body = `^${body.slice(1)}`;
      }
      try {
        tokens.push({ kind: 'class', test: new RegExp(`^[${body}]$`) });
      } catch {
        return undefined;
      }
      i = end;
    } else {
      tokens.push({ kind: 'char', char: c });
    }
  }
  return path => simulate(tokens, path);
}

/**
 * Runs the tokens over the path. State `i` is "before token i"; a `folders` token also has an inner
 * state (inside a folder name it is skipping), kept in `inner`.
 */
function simulate(tokens: readonly GlobToken[], path: string): boolean {
  const n = tokens.length;
  let at = new Uint8Array(n + 1);
  let inner = new Uint8Array(n);
  let nextAt = new Uint8Array(n + 1);
  let nextInner = new Uint8Array(n);
  at[0] = 1;
  close(tokens, at);
  for (let p = 0; p < path.length; p++) {
    const c = path[p];
    const slash = c === '/';
    nextAt.fill(0);
    nextInner.fill(0);
    let alive = false;
    for (let i = 0; i < n; i++) {
      const t = tokens[i];
      if (t.kind === 'folders' && (at[i] || inner[i])) {
        // `(?:[^/]*\/)*`: a slash ends a folder (back at the loop's start), anything else is inside one.
        if (slash) {
          nextAt[i] = 1;
        } else {
          nextInner[i] = 1;
        }
        alive = true;
        continue;
      }
      if (!at[i]) {
        continue;
      }
      let to = -1;
      switch (t.kind) {
        case 'char':
          to = c === t.char ? i + 1 : -1;
          break;
        case 'one':
          to = slash ? -1 : i + 1;
          break;
        case 'class':
          to = t.test.test(c) ? i + 1 : -1;
          break;
        case 'star':
          to = slash ? -1 : i;
          break;
        case 'rest':
          // A trailing `**` was `.*`: anything but a line break.
          to = c === '\n' || c === '\r' || c === '\u2028' || c === '\u2029' ? -1 : i;
          break;
      }
      if (to >= 0) {
        nextAt[to] = 1;
        alive = true;
      }
    }
    if (!alive) {
      return false;
    }
    close(tokens, nextAt);
    [at, nextAt] = [nextAt, at];
    [inner, nextInner] = [nextInner, inner];
  }
  return at[n] === 1;
}

/** Adds what `*`, `**` and `**\/` let a state skip without a character (they may match nothing). */
function close(tokens: readonly GlobToken[], at: Uint8Array): void {
  for (let i = 0; i < tokens.length; i++) {
    const k = tokens[i].kind;
    if (at[i] && (k === 'star' || k === 'rest' || k === 'folders')) {
      at[i + 1] = 1;
    }
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
  const matchers: GlobMatcher[] = [];
  const folderMatchers: GlobMatcher[] = [];
  for (const p of new Set(raw.map(r => r.trim().replace(/^\.\//, '').replace(/\/+$/, '')).filter(Boolean))) {
    const expanded = expandBraces(p);
    const compiled = expanded?.map(compileGlob);
    if (!expanded || !compiled || compiled.some(r => !r)) {
      unusable.push(p);
      continue;
    }
    patterns.push(...expanded);
    matchers.push(...(compiled as GlobMatcher[]));
    for (const e of expanded) {
      const folder = e.endsWith('/**') ? compileGlob(e.slice(0, -3)) : undefined;
      if (folder) {
        folderMatchers.push(folder);
      }
    }
  }
  const anyPrefix = (relativePath: string, against: readonly GlobMatcher[]): boolean => {
    const parts = relativePath.split('/').filter(Boolean);
    // A pattern naming a folder leaves out what is inside it too.
    for (let n = parts.length; n > 0; n--) {
      const prefix = parts.slice(0, n).join('/');
      if (against.some(m => m(prefix))) {
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
