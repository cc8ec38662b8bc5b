// Bundles the demo page (web/) with the client SDK into content-hashed assets and writes index.html.
// Usage: node web/build.mjs [--outdir DIR]   (default dist/public; run after tsc)
import { build } from 'esbuild';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const webDir = path.dirname(fileURLToPath(import.meta.url));
const rootDir = path.dirname(webDir);
const flag = process.argv.indexOf('--outdir');
const outDir = path.resolve(flag === -1 ? path.join(rootDir, 'dist', 'public') : process.argv[flag + 1] ?? '');

// Old hashed files would pile up forever otherwise.
await rm(path.join(outDir, 'assets'), { recursive: true, force: true });
await mkdir(outDir, { recursive: true });

const result = await build({
  absWorkingDir: rootDir,
  entryPoints: { app: path.join(webDir, 'src', 'main.ts'), style: path.join(webDir, 'style.css') },
  entryNames: 'assets/[name]-[hash]',
  outdir: outDir,
  bundle: true,
  format: 'esm',
  target: ['es2022', 'chrome100', 'firefox100', 'safari15'],
  minify: true,
  sourcemap: 'linked',
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
});

const outputs = Object.keys(result.metafile.outputs).map((file) => path.relative(outDir, path.resolve(rootDir, file)).split(path.sep).join('/'));
const script = outputs.find((file) => /^assets\/app-[^/]+\.js$/.test(file));
const style = outputs.find((file) => /^assets\/style-[^/]+\.css$/.test(file));
if (script === undefined || style === undefined) throw new Error('web/build.mjs: esbuild did not produce the app script and stylesheet');

let html = await readFile(path.join(webDir, 'index.html'), 'utf8');
const replacements = [
  ['<link rel="stylesheet" href="./style.css">', `<link rel="stylesheet" href="./${style}">`],
  ['<script type="module" src="./src/main.ts"></script>', `<script type="module" src="./${script}"></script>`],
];
for (const [source, built] of replacements) {
  if (!html.includes(source)) throw new Error(`web/build.mjs: web/index.html no longer contains ${source}`);
  html = html.replace(source, built);
}
await writeFile(path.join(outDir, 'index.html'), html);
console.log(`web/build.mjs: wrote ${path.relative(rootDir, outDir) || '.'}/index.html, ${script}, ${style}`);
