/**
 * Reading the documentation's samples: fenced code blocks with the mark on the line before them,
 * shell blocks split into commands and the outputs they are shown with, the shape check that
 * compares a real output with the shown one, and headings and links for the link check.
 * Pure functions of the Markdown text; test/docs-samples.test.ts runs what they find.
 */

/** One fenced code block of a Markdown file. */
export interface CodeBlock {
  /** The file, relative to the repository root (`docs/api.md`). */
  readonly file: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  /** The first word of the info string, lower case; `''` when there is none. */
  readonly lang: string;
  /** The content, the fence's own indentation removed; ends with a newline unless empty. */
  readonly text: string;
  /** What an HTML comment on the line just before the fence says, if there is one. */
  readonly mark: Mark | undefined;
}

/** The marks a block can carry (`<!-- … -->` on the line before its fence). */
export type Mark =
  | { readonly kind: 'not run'; readonly reason: string }
  | { readonly kind: 'settings' }
  | { readonly kind: 'file'; readonly name: string }
  | { readonly kind: 'same as'; readonly path: string }
  | { readonly kind: 'cli usage' }
  | { readonly kind: 'source tree' }
  | { readonly kind: 'unknown'; readonly text: string };

function parseMark(comment: string): Mark {
  const text = comment.trim();
  const notRun = /^not run\s*:?\s*(.*)$/s.exec(text);
  if (notRun !== null) return { kind: 'not run', reason: (notRun[1] ?? '').trim() };
  if (text === 'samples run with these settings') return { kind: 'settings' };
  const file = /^file:\s*(\S+)$/.exec(text);
  if (file !== null) return { kind: 'file', name: file[1] ?? '' };
  const same = /^same as:\s*(\S+)$/.exec(text);
  if (same !== null) return { kind: 'same as', path: same[1] ?? '' };
  if (text === 'cli usage') return { kind: 'cli usage' };
  if (text === 'source tree') return { kind: 'source tree' };
  return { kind: 'unknown', text };
}

const FENCE = /^(\s*)(`{3,}|~{3,})\s*([^\s`]*)/;

/** A fenced region: the lines of its opening and closing fences (0-based; an unclosed one ends with the text). */
interface Fenced {
  readonly open: number;
  readonly close: number;
  readonly indent: number;
  readonly lang: string;
}

function fencedRegions(lines: readonly string[]): Fenced[] {
  const regions: Fenced[] = [];
  for (let i = 0; i < lines.length; i += 1) {
    const open = FENCE.exec(lines[i] ?? '');
    if (open === null) continue;
    const fence = open[2] ?? '```';
    let close = i + 1;
    while (close < lines.length) {
      const trimmed = (lines[close] ?? '').trim();
      if (trimmed.startsWith(fence) && /^(`+|~+)$/.test(trimmed) && trimmed[0] === fence[0]) break;
      close += 1;
    }
    regions.push({ open: i, close, indent: (open[1] ?? '').length, lang: (open[3] ?? '').toLowerCase() });
    i = close;
  }
  return regions;
}

/**
 * Every fenced code block of a Markdown text, with its mark. An unclosed fence runs to the end,
 * as CommonMark has it.
 *
 * @example const blocks = codeBlocks('README.md', await readFile('README.md', 'utf8'));
 */
export function codeBlocks(file: string, markdown: string): CodeBlock[] {
  const lines = markdown.split('\n');
  return fencedRegions(lines).map(({ open, close, indent, lang }) => {
    const body = lines.slice(open + 1, close).map((line) => line.slice(Math.min(indent, line.length - line.trimStart().length)));
    const comment = /^<!--(.*)-->$/s.exec((lines[open - 1] ?? '').trim());
    return {
      file,
      line: open + 1,
      lang,
      text: body.length === 0 ? '' : `${body.join('\n')}\n`,
      mark: comment === null ? undefined : parseMark(comment[1] ?? ''),
    };
  });
}

/** The lines of a Markdown text outside its fenced code blocks, with their 1-based numbers. */
function proseLines(markdown: string): { readonly text: string; readonly line: number }[] {
  const lines = markdown.split('\n');
  const inCode = new Set(fencedRegions(lines).flatMap(({ open, close }) => Array.from({ length: close - open + 1 }, (_, k) => open + k)));
  return lines.flatMap((text, i) => (inCode.has(i) ? [] : [{ text, line: i + 1 }]));
}

/** One command of a shell block (with its continuation lines), and the output shown after it. */
export interface ShellStep {
  readonly code: string;
  /** 0-based line of the command's first line within the block. */
  readonly offset: number;
  /** The output the block shows for this command, as a JSON value (see {@link leadingJson}). */
  readonly expected?: { readonly value: unknown; readonly text: string };
}

/** A line that the next one continues: a trailing backslash, pipe, `&&` or `||`. */
const CONTINUED = /(\\|\||&&|\|\|)\s*$/;

/**
 * Splits a shell block into commands (a line and the lines that continue it). A comment right
 * after a command whose text starts with a JSON value (`# {"id":1,…}`, `# 401`, `# "3.1.0"`) is
 * the output that command is shown with; it may continue on the next comment lines while its
 * brackets are open. Any other comment is prose.
 *
 * @example shellSteps('curl -sf $URL/healthz\n# {"status":"ok"}\n') // one step, expected {status: 'ok'}
 */
export function shellSteps(text: string): ShellStep[] {
  const lines = text.replace(/\n$/, '').split('\n');
  const steps: ShellStep[] = [];
  let last: { code: string[]; offset: number } | undefined;
  const flush = (expected?: ShellStep['expected']): void => {
    if (last !== undefined) steps.push({ code: last.code.join('\n'), offset: last.offset, ...(expected === undefined ? {} : { expected }) });
    last = undefined;
  };
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i] ?? '';
    if (line.trim() === '') {
      flush();
      continue;
    }
    if (/^\s*#/.test(line)) {
      if (last === undefined) continue; // prose
      let shown = line.replace(/^\s*#\s?/, '');
      let found = leadingJson(shown);
      while (found === 'incomplete' && /^\s*#/.test(lines[i + 1] ?? '')) {
        i += 1;
        shown += `\n${(lines[i] ?? '').replace(/^\s*#\s?/, '')}`;
        found = leadingJson(shown);
      }
      flush(found === undefined || found === 'incomplete' ? undefined : { value: found.value, text: shown });
      continue;
    }
    const continues = last !== undefined && CONTINUED.test(last.code[last.code.length - 1] ?? '');
    if (continues) last?.code.push(line);
    else {
      flush();
      last = { code: [line], offset: i };
    }
  }
  flush();
  return steps;
}

/** A line a script sample shows it prints: `console.log(…); // what it prints`. */
export interface ShownLine {
  /** Which `console.log` of the sample, in source order, prints it. */
  readonly call: number;
  /** 0-based line within the block. */
  readonly offset: number;
  readonly text: string;
}

/**
 * The lines a TypeScript or JavaScript sample shows it prints: a `console.log(…)` statement
 * followed by a `// …` comment on the same line. Samples that show output call `console.log`
 * once per statement, in order, each printing one line.
 */
export function shownLines(text: string): ShownLine[] {
  const shown: ShownLine[] = [];
  let call = 0;
  for (const [offset, line] of text.split('\n').entries()) {
    if (!/\bconsole\.log\(/.test(line)) continue;
    const comment = /\);\s*\/\/\s?(.*)$/.exec(line);
    if (comment !== null) shown.push({ call, offset, text: (comment[1] ?? '').trim() });
    call += 1;
  }
  return shown;
}

/** Whether a printed line matches a shown one: equal, where `…` in the shown line stands for any text. */
export function lineMatches(shown: string, actual: string): boolean {
  return stringMatches(shown, actual.trim());
}

/**
 * The JSON value a text starts with: an object or array (brackets balanced outside strings), a
 * string, a number, `true`, `false` or `null`, followed by the end or white space. `'incomplete'`
 * when an object or array is still open at the end of the text.
 */
export function leadingJson(text: string): { readonly value: unknown } | 'incomplete' | undefined {
  const source = text.trimStart();
  const first = source[0];
  if (first === '{' || first === '[') {
    let depth = 0;
    let inString = false;
    for (let i = 0; i < source.length; i += 1) {
      const c = source[i];
      if (inString) {
        if (c === '\\') i += 1;
        else if (c === '"') inString = false;
      } else if (c === '"') inString = true;
      else if (c === '{' || c === '[') depth += 1;
      else if (c === '}' || c === ']') {
        depth -= 1;
        if (depth === 0) return parseOrUndefined(source.slice(0, i + 1));
      }
    }
    return 'incomplete';
  }
  if (first === '"') {
    const string = /^"(?:[^"\\]|\\.)*"(?=\s|$)/.exec(source);
    return string === null ? undefined : parseOrUndefined(string[0]);
  }
  const literal = /^(?:true|false|null|-?\d+(?:\.\d+)?)(?=\s|$)/.exec(source);
  return literal === null ? undefined : parseOrUndefined(literal[0]);
}

function parseOrUndefined(json: string): { readonly value: unknown } | undefined {
  try {
    return { value: JSON.parse(json) as unknown };
  } catch {
    return undefined;
  }
}

const ELLIPSIS = '…';

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringMatches(shown: string, actual: string): boolean {
  if (!shown.includes(ELLIPSIS)) return shown === actual;
  const pattern = shown
    .split(ELLIPSIS)
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${pattern}$`, 's').test(actual);
}

/**
 * Why `actual` does not have the shape of the `shown` output, or `undefined` when it does: the
 * same keys at every level (an object shown with a `"…"` key may have more), arrays of the same
 * length (or longer, when the shown one ends with `"…"`), equal numbers, booleans and null, and
 * strings equal except where the shown one has `…`, which stands for any text.
 *
 * @example shapeMismatch({ id: 1, last_login: '…' }, { id: 1, last_login: '2026-…' }) // undefined
 */
export function shapeMismatch(shown: unknown, actual: unknown, at = '$'): string | undefined {
  if (typeof shown === 'string') {
    return typeof actual === 'string' && stringMatches(shown, actual) ? undefined : `${at}: ${JSON.stringify(actual)} does not match ${JSON.stringify(shown)}`;
  }
  if (Array.isArray(shown)) {
    if (!Array.isArray(actual)) return `${at}: not an array`;
    const open = shown.length > 0 && shown[shown.length - 1] === ELLIPSIS;
    const items = open ? shown.slice(0, -1) : shown;
    if (open ? actual.length < items.length : actual.length !== items.length) return `${at}: ${actual.length} items, shown ${shown.length}`;
    for (const [i, item] of items.entries()) {
      const problem = shapeMismatch(item, actual[i], `${at}[${i}]`);
      if (problem !== undefined) return problem;
    }
    return undefined;
  }
  if (isPlainObject(shown)) {
    if (!isPlainObject(actual)) return `${at}: not an object`;
    const keys = Object.keys(shown).filter((key) => key !== ELLIPSIS);
    const missing = keys.filter((key) => !(key in actual));
    const extra = ELLIPSIS in shown ? [] : Object.keys(actual).filter((key) => !(key in shown));
    if (missing.length > 0 || extra.length > 0) return `${at}: keys differ (missing ${JSON.stringify(missing)}, not shown ${JSON.stringify(extra)})`;
    for (const key of keys) {
      const problem = shapeMismatch(shown[key], actual[key], `${at}.${key}`);
      if (problem !== undefined) return problem;
    }
    return undefined;
  }
  return Object.is(shown, actual) ? undefined : `${at}: ${JSON.stringify(actual)}, shown ${JSON.stringify(shown)}`;
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
export function headingSlug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The anchors of a Markdown text's headings (outside code blocks), numbered as GitHub numbers repeats. */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const { text } of proseLines(markdown)) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(text);
    if (heading === null) continue;
    const slug = headingSlug(heading[1] ?? '');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/** The targets of inline links `[text](target)` outside code, with their lines; external URLs left out. */
export function relativeLinks(markdown: string): { readonly target: string; readonly line: number }[] {
  const links: { target: string; line: number }[] = [];
  for (const { text, line } of proseLines(markdown)) {
    const prose = text.replace(/`[^`]*`/g, (code) => (code.includes('](') ? '' : code));
    for (const match of prose.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = match[1] ?? '';
      if (!/^[a-z][a-z0-9+.-]*:/i.test(target)) links.push({ target, line });
    }
  }
  return links;
}
