import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { unsafeSettings } from '../src/config/check-safety.js';
import { parseEnvFile } from '../src/config/env-file.js';
import { loadConfig } from '../src/config/load-config.js';
import { SCHEMA } from '../src/config/schema.js';
import { codeBlocks, headingAnchors, leadingJson, lineMatches, relativeLinks, shapeMismatch, shellSteps, shownLines, type CodeBlock } from './support/markdown-samples.js';
import { gatehouse } from './support/run-cli.js';
import { spawnServer, testDistDir, type SpawnedServer } from './support/spawn-server.js';

// Every command and code sample in README.md, docs/*.md and deploy/'s pages is run or checked here; see
// docs/testing.md ("The documentation's samples") for what each kind of block gets.

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The address the samples are written against; each page's own server replaces it. */
const SAMPLE_URL = 'http://127.0.0.1:8000';
const SHELL = new Set(['sh', 'bash', 'shell']);
const SCRIPT = new Set(['ts', 'typescript', 'js', 'javascript', 'mjs']);
const PAGE_TIMEOUT_MS = 120_000;

interface Page {
  readonly file: string;
  readonly markdown: string;
  readonly blocks: readonly CodeBlock[];
}

/** The pages next to the deployment files: documentation too, so held to the same rule. */
const DEPLOY_PAGES = ['deploy/README.md', 'deploy/two-node/README.md'];

/** README.md, every docs/*.md and the deploy/ pages, read once when the file loads (the tests are made from them). */
function readPages(): Page[] {
  const docs = readdirSync(path.join(ROOT, 'docs')).filter((name) => name.endsWith('.md')).sort();
  return ['README.md', ...docs.map((name) => `docs/${name}`), ...DEPLOY_PAGES].map((file) => {
    const markdown = readFileSync(path.join(ROOT, file), 'utf8');
    return { file, markdown, blocks: codeBlocks(file, markdown) };
  });
}

const pages = readPages();

const where = (block: CodeBlock, offset = 0): string => `${block.file}:${block.line + 1 + offset}`;
const isRun = (block: CodeBlock): boolean => block.mark?.kind !== 'not run' && (SHELL.has(block.lang) || SCRIPT.has(block.lang));

/** Why a block is neither run nor checked, or `undefined` when one of the tests takes care of it. */
function unhandled(block: CodeBlock): string | undefined {
  const mark = block.mark;
  switch (mark?.kind) {
    case 'unknown':
      return `unknown mark <!-- ${mark.text} -->`;
    case 'not run':
      return mark.reason === '' ? 'marked "not run" without a reason' : undefined;
    case 'settings':
      return block.lang === 'env' ? undefined : 'the settings for the samples must be an env block';
    case 'file':
    case 'same as':
    case 'cli usage':
    case 'source tree':
      return undefined;
    case undefined:
      return isRun(block) || block.lang === 'env' || block.lang === 'json'
        ? undefined
        : `a "${block.lang || 'plain'}" block is neither run nor checked: mark it <!-- not run: why --> or use a kind the test runs`;
  }
}

/** The problems of a settings block: unknown names, values that do not parse or are unsafe. */
function settingsProblems(text: string): string[] {
  const known = new Set(Object.values(SCHEMA).map((setting) => setting.env));
  let values: Record<string, string>;
  try {
    values = parseEnvFile(text);
  } catch (error) {
    return [(error as Error).message];
  }
  const problems = Object.keys(values)
    .filter((name) => !known.has(name))
    .map((name) => `${name} is not a setting`);
  try {
    problems.push(...unsafeSettings(loadConfig(values)));
  } catch (error) {
    problems.push((error as Error).message);
  }
  return problems;
}

function requireTool(name: string): boolean {
  if (spawnSync('sh', ['-c', `command -v ${name}`]).status === 0) return true;
  assert.ok(process.env['CI'] === undefined, `${name} is not installed (.ci/run installs it)`);
  return false;
}

describe('documentation samples', () => {
  it('runs or checks every fenced block, or it is marked "not run" with a reason', () => {
    const problems = pages.flatMap((page) => page.blocks.flatMap((block) => {
      const problem = unhandled(block);
      return problem === undefined ? [] : [`${block.file}:${block.line}: ${problem}`];
    }));
    assert.deepEqual(problems, []);
  });

  it('keeps "not run" blocks few', () => {
    const notRun = pages.flatMap((page) => page.blocks.filter((block) => block.mark?.kind === 'not run'));
    const run = pages.flatMap((page) => page.blocks.filter((block) => block.mark?.kind !== 'not run'));
    assert.ok(notRun.length * 3 < run.length, `${notRun.length} blocks not run against ${run.length} run or checked`);
  });

  it('loads every env block through the config loader: known names, values that parse and are safe', () => {
    const problems = pages.flatMap((page) =>
      page.blocks.filter((block) => block.lang === 'env' && block.mark?.kind !== 'not run').flatMap((block) => settingsProblems(block.text).map((problem) => `${block.file}:${block.line}: ${problem}`)),
    );
    assert.deepEqual(problems, []);
  });

  it('parses every JSON block', () => {
    for (const block of pages.flatMap((page) => page.blocks.filter((b) => b.lang === 'json' && b.mark?.kind !== 'not run'))) {
      assert.doesNotThrow(() => JSON.parse(block.text), `${block.file}:${block.line}`);
    }
  });

  it('finds the lines of every "same as" block, in order, in its file', async () => {
    for (const block of pages.flatMap((page) => page.blocks)) {
      if (block.mark?.kind !== 'same as') continue;
      const file = (await readFile(path.join(ROOT, block.mark.path), 'utf8')).split('\n').map((line) => line.trimEnd());
      const lines = block.text.replace(/\n$/, '').split('\n').map((line) => line.trimEnd());
      const found = file.some((_, start) => lines.every((line, i) => file[start + i] === line));
      assert.ok(found, `${block.file}:${block.line}: not found in ${block.mark.path}`);
    }
  });

  it('lists in the "cli usage" block exactly the commands gatehouse --help prints', async () => {
    const help = await gatehouse(['--help'], {});
    assert.equal(help.code, 0, help.stderr);
    const synopsis = (line: string): string => (line.trim().split(/\s{2,}/)[0] ?? '').replace(/\s+/g, ' ');
    const expected = help.stdout
      .split('\n')
      .filter((line) => /^ {2}\S/.test(line))
      .map(synopsis)
      .sort();
    const blocks = pages.flatMap((page) => page.blocks.filter((block) => block.mark?.kind === 'cli usage'));
    assert.ok(blocks.length > 0, 'no "cli usage" block');
    for (const block of blocks) {
      const listed = block.text
        .split('\n')
        .filter((line) => line.startsWith('gatehouse '))
        .map((line) => synopsis(line.slice('gatehouse '.length)))
        .sort();
      assert.deepEqual(listed, expected, `${block.file}:${block.line}`);
    }
  });

  it('names in a "source tree" block only paths and files that exist under src/', async () => {
    const files = (await readdir(path.join(ROOT, 'src'), { recursive: true })).map((file) => path.basename(file));
    for (const block of pages.flatMap((page) => page.blocks.filter((b) => b.mark?.kind === 'source tree'))) {
      for (const line of block.text.split('\n').filter((l) => /^\S/.test(l))) {
        for (const field of line.split(/\s{2,}/)) {
          if (!/^[\w.-]+(\/|\.ts)$/.test(field)) break;
          assert.ok(existsSync(path.join(ROOT, 'src', field)), `${block.file}:${block.line}: src/${field} does not exist`);
        }
      }
      for (const name of block.text.match(/[\w-]+\.ts\b/g) ?? []) {
        assert.ok(files.includes(name), `${block.file}:${block.line}: no ${name} under src/`);
      }
    }
  });

  it('documents every setting of the schema in docs/configuration.md, and only those', () => {
    const page = pages.find((p) => p.file === 'docs/configuration.md');
    assert.ok(page !== undefined, 'docs/configuration.md is missing');
    const names = Object.values(SCHEMA).map((setting) => setting.env);
    const rows = new Set([...page.markdown.matchAll(/^\| `([A-Z0-9_]+)` \|/gm)].map((m) => m[1]));
    assert.deepEqual(names.filter((name) => !rows.has(name)), [], 'settings without a row in docs/configuration.md');
    const mentioned = new Set(page.markdown.match(/\bGATEHOUSE_[A-Z0-9_]+/g) ?? []);
    assert.deepEqual([...mentioned].filter((name) => !names.includes(name)), [], 'names in docs/configuration.md that are not settings');
  });

  it("gives the schema's default wherever a settings table has a default column", () => {
    const settings = new Map(Object.values(SCHEMA).map((setting) => [setting.env, setting]));
    const problems: string[] = [];
    for (const page of pages) {
      let defaultColumn = false;
      for (const [i, line] of page.markdown.split('\n').entries()) {
        if (!line.startsWith('|')) {
          defaultColumn = false;
          continue;
        }
        const cells = line.split(/(?<!\\)\|/).slice(1, -1).map((cell) => cell.trim());
        if (cells[1] === 'default') defaultColumn = true;
        const names = (cells[0] ?? '').split(/,\s*/).map((name) => /^`([A-Z0-9_]+)`$/.exec(name)?.[1]);
        if (!defaultColumn || names.length === 0 || names.some((name) => name === undefined || !settings.has(name))) continue;
        const cell = cells[1] ?? '';
        const shown = [...cell.matchAll(/`([^`]*)`/g)].map((m) => m[1]);
        names.forEach((name, n) => {
          const fallback = settings.get(name as string)?.fallback;
          const ok =
            name === 'GATEHOUSE_WORKERS'
              ? /CPUs/.test(cell)
              : fallback === undefined
                ? cell.startsWith('unset')
                : fallback === ''
                  ? cell.startsWith('empty')
                  : (shown.length === names.length ? shown[n] : shown[0]) === fallback;
          if (!ok) problems.push(`${page.file}:${i + 1}: ${name} default shown as "${cell}", the schema says ${JSON.stringify(fallback)}`);
        });
      }
    }
    assert.deepEqual(problems, []);
  });

  it('links only to files and headings that exist', () => {
    const problems: string[] = [];
    for (const page of pages) {
      for (const { target, line } of relativeLinks(page.markdown)) {
        const [file = '', anchor] = target.split('#');
        const resolved = file === '' ? path.join(ROOT, page.file) : path.resolve(path.dirname(path.join(ROOT, page.file)), file);
        if (!existsSync(resolved)) {
          problems.push(`${page.file}:${line}: ${target} does not exist`);
          continue;
        }
        if (anchor !== undefined && resolved.endsWith('.md')) {
          const markdown = file === '' ? page.markdown : readFileSync(resolved, 'utf8');
          if (!headingAnchors(markdown).has(anchor)) problems.push(`${page.file}:${line}: no heading #${anchor} in ${file || page.file}`);
        }
      }
    }
    assert.deepEqual(problems, []);
  });

  describe('runs the commands and code of each page', { concurrency: 3 }, () => {
    let workDir: string;
    let compiled: Map<CodeBlock, string>;
    const typeErrors = new Map<CodeBlock, string[]>();
    let tools = true;
    before(async () => {
      tools = requireTool('curl') && requireTool('jq');
      workDir = await mkdtemp(path.join(tmpdir(), 'gatehouse-docs-'));
      compiled = await compileScripts(pages.flatMap((page) => page.blocks.filter((block) => isRun(block) && SCRIPT.has(block.lang))), workDir, typeErrors);
    });
    after(async () => {
      if (workDir !== undefined) await rm(workDir, { recursive: true, force: true });
    });

    for (const page of pages) {
      const blocks = page.blocks.filter(isRun);
      if (blocks.length === 0) continue;
      it(page.file, async (t) => {
        if (!tools) return t.skip('curl or jq is not installed');
        assert.deepEqual(blocks.flatMap((block) => typeErrors.get(block) ?? []), [], 'the TypeScript samples do not type-check');
        await runPage(page, blocks, compiled, workDir);
      });
    }
  });
});

/** A directory that looks like the repository to npm and node: package.json, node_modules, the build under test. */
async function makeProjectDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await cp(path.join(ROOT, 'package.json'), path.join(dir, 'package.json'));
  await cp(path.join(ROOT, 'example.env'), path.join(dir, 'example.env'));
  await cp(path.join(ROOT, 'deploy'), path.join(dir, 'deploy'), { recursive: true });
  await symlink(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  await symlink(testDistDir(), path.join(dir, 'dist'), 'dir');
}

/**
 * Type-checks every TypeScript sample as a module of its own (the repository's strictness, the
 * build's declarations for `gatehouse/verify` and `gatehouse/client`) and returns each one's
 * JavaScript; type errors are added to `typeErrors`, by block. JavaScript samples are taken as
 * they are.
 */
async function compileScripts(blocks: readonly CodeBlock[], workDir: string, typeErrors: Map<CodeBlock, string[]>): Promise<Map<CodeBlock, string>> {
  const dir = path.join(workDir, 'compile');
  await makeProjectDir(dir);
  const sources = new Map<string, CodeBlock>();
  const result = new Map<CodeBlock, string>();
  for (const [i, block] of blocks.entries()) {
    if (block.lang === 'ts' || block.lang === 'typescript') {
      const file = path.join(dir, `sample-${i}.mts`);
      await writeFile(file, block.text);
      sources.set(file, block);
    } else {
      result.set(block, block.text);
    }
  }
  if (sources.size === 0) return result;
  const program = ts.createProgram([...sources.keys()], {
    strict: true,
    noUncheckedIndexedAccess: true,
    noImplicitOverride: true,
    verbatimModuleSyntax: true,
    esModuleInterop: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts', 'lib.dom.iterable.d.ts'],
    types: ['node'],
    typeRoots: [path.join(ROOT, 'node_modules', '@types')],
  });
  for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
    const block = diagnostic.file === undefined ? undefined : sources.get(path.resolve(diagnostic.file.fileName));
    if (block === undefined || diagnostic.file === undefined || diagnostic.start === undefined) throw new Error(`TypeScript: ${message}`);
    const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
    typeErrors.set(block, [...(typeErrors.get(block) ?? []), `${where(block, line)}: ${message}`]);
  }
  program.emit(undefined, (fileName, text) => {
    const block = sources.get(fileName.replace(/\.mjs$/, '.mts'));
    if (block !== undefined) result.set(block, text);
  });
  return result;
}

/**
 * Runs a page's shell and script blocks in order, as one bash session in a fresh project
 * directory (with `./data` as its database and, when the samples call the server, a server of
 * its own), then compares each shown output with the real one.
 */
async function runPage(page: Page, blocks: readonly CodeBlock[], compiled: Map<CodeBlock, string>, workDir: string): Promise<void> {
  const dir = path.join(workDir, page.file.replace(/[^\w.-]/g, '_'));
  await makeProjectDir(dir);
  const samples = path.join(dir, '.samples');
  await mkdir(samples);
  for (const block of page.blocks) {
    if (block.mark?.kind === 'file') await writeFile(path.join(dir, block.mark.name), block.text);
  }
  const settings = Object.assign({}, ...page.blocks.filter((block) => block.mark?.kind === 'settings').map((block) => parseEnvFile(block.text))) as Record<string, string>;
  const needsServer = blocks.some((block) => block.text.includes(SAMPLE_URL));
  let server: SpawnedServer | undefined;
  try {
    if (needsServer) server = await spawnServer({ GATEHOUSE_DATA_DIR: path.join(dir, 'data'), ...settings });
    const url = server?.baseUrl ?? SAMPLE_URL;
    const shown: { block: CodeBlock; offset: number; value: unknown; output: string }[] = [];
    const printed: { block: CodeBlock; output: string }[] = [];
    const script = ['set -euo pipefail', 'set -a', `__block() { printf '%s\\n' "$1" > ${JSON.stringify(path.join(samples, 'current'))}; }`];
    for (const [b, block] of blocks.entries()) {
      script.push(`__block ${b}`);
      if (SCRIPT.has(block.lang)) {
        const file = path.join(dir, `.sample-${b}.mjs`);
        await writeFile(file, (compiled.get(block) ?? '').replaceAll(SAMPLE_URL, url));
        if (shownLines(block.text).length === 0) script.push(`node ${JSON.stringify(file)}`);
        else {
          const output = path.join(samples, `out-${b}`);
          printed.push({ block, output });
          script.push(`node ${JSON.stringify(file)} > ${JSON.stringify(output)}`);
        }
        continue;
      }
      for (const [s, step] of shellSteps(block.text.replaceAll(SAMPLE_URL, url)).entries()) {
        if (step.expected === undefined) {
          script.push(step.code);
          continue;
        }
        const output = path.join(samples, `out-${b}-${s}`);
        shown.push({ block, offset: step.offset, value: step.expected.value, output });
        script.push(`{\n${step.code}\n} > ${JSON.stringify(output)}`);
      }
    }
    const scriptFile = path.join(samples, 'page.sh');
    await writeFile(scriptFile, `${script.join('\n')}\n`);

    const result = await runBash(scriptFile, dir, sampleEnvironment(settings));
    if (result.code !== 0) {
      const current = Number((await readFile(path.join(samples, 'current'), 'utf8').catch(() => '')).trim());
      const block = blocks[current];
      assert.fail(
        `${block === undefined ? page.file : `${block.file}:${block.line}`}: the sample failed (exit ${result.code}).\n` +
          `stdout:\n${result.stdout.slice(-3000)}\nstderr:\n${result.stderr.slice(-3000)}` +
          (server === undefined ? '' : `\nserver log:\n${server.logs().slice(-3000)}`),
      );
    }
    for (const { block, offset, value, output } of shown) {
      const text = (await readFile(output, 'utf8')).trim();
      const actual = leadingJson(text);
      assert.ok(actual !== undefined && actual !== 'incomplete', `${where(block, offset)}: the output is not JSON: ${text.slice(0, 300)}`);
      const problem = shapeMismatch(value, actual.value);
      assert.equal(problem, undefined, `${where(block, offset)}: the output does not have the shape shown: ${problem}\n${text.slice(0, 1000)}`);
    }
    for (const { block, output } of printed) {
      const lines = (await readFile(output, 'utf8')).replace(/\n$/, '').split('\n');
      for (const { call, offset, text } of shownLines(block.text)) {
        const actual = lines[call] ?? '(nothing)';
        assert.ok(lineMatches(text, actual), `${where(block, offset)}: printed ${JSON.stringify(actual)}, the sample shows ${JSON.stringify(text)}`);
      }
    }
  } finally {
    await server?.stop();
  }
}

/** The environment the samples run in: the test's own, without settings or npm's variables, plus cheap argon2 and the page's settings. */
function sampleEnvironment(settings: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value === undefined || name.startsWith('GATEHOUSE_') || name.startsWith('npm_') || ['HOST', 'PORT', 'NODE_TEST_CONTEXT'].includes(name)) continue;
    env[name] = value;
  }
  return {
    ...env,
    GATEHOUSE_ARGON2_MEMORY_KIB: '1024',
    GATEHOUSE_ARGON2_ITERATIONS: '1',
    NPM_CONFIG_UPDATE_NOTIFIER: 'false',
    NPM_CONFIG_FUND: 'false',
    ...settings,
  };
}

/** Runs a bash script in its own process group, killed with everything it started after the page timeout. */
function runBash(file: string, cwd: string, env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [file], { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      stderr += `\n(killed after ${PAGE_TIMEOUT_MS} ms)`;
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    }, PAGE_TIMEOUT_MS);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
