// Builds web/dist/ from web/src/ and node_modules, offline:
//   index.html, style.css   copied from src/
//   app.js                  src/app.js bundled with JsSIP (esbuild, one IIFE, minified)
//   third-party-licenses.txt  the licence of every npm package inside app.js
// A file is written only when its content changes, so that a build with
// nothing new leaves modification times alone (the daemon may embed dist/).
import { build } from 'esbuild';
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(fileURLToPath(import.meta.url));
const src = join(root, 'src');
const dist = join(root, 'dist');

async function writeIfChanged(name, content) {
  const path = join(dist, name);
  const bytes = Buffer.from(content);
  try {
    if (Buffer.compare(await readFile(path), bytes) === 0) return false;
  } catch {
    // Missing: write it.
  }
  await writeFile(path, bytes);
  return true;
}

// node_modules/<name> or node_modules/@scope/<name> of a bundled input path.
function packageDirOf(input) {
  const parts = input.split(/[\\/]/);
  const at = parts.lastIndexOf('node_modules');
  if (at < 0) return null;
  const take = parts[at + 1]?.startsWith('@') ? 2 : 1;
  return parts.slice(0, at + 1 + take).join(sep);
}

async function licenceText(dir) {
  const names = (await readdir(join(root, dir))).filter((f) => /^(licen[cs]e|copying)(\.|$)/i.test(f)).sort();
  if (names.length === 0) return null;
  return (await readFile(join(root, dir, names[0]), 'utf8')).trim();
}

async function licences(metafile) {
  const dirs = new Set();
  for (const input of Object.keys(metafile.inputs)) {
    const dir = packageDirOf(input);
    if (dir) dirs.add(dir);
  }
  const sections = [];
  for (const dir of [...dirs].sort()) {
    const pkg = JSON.parse(await readFile(join(root, dir, 'package.json'), 'utf8'));
    const text = await licenceText(dir);
    if (!text) throw new Error(`${pkg.name}@${pkg.version} is bundled into app.js but ships no licence file`);
    sections.push(`${pkg.name}@${pkg.version} (${pkg.license})\n${'='.repeat(60)}\n${text}\n`);
  }
  return `Third-party software bundled into app.js\n\n${sections.join('\n')}`;
}

async function main() {
  await mkdir(dist, { recursive: true });
  const result = await build({
    entryPoints: [join(src, 'app.js')],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: ['chrome109', 'firefox115', 'safari16'],
    minify: true,
    legalComments: 'none',
    metafile: true,
    write: false,
    outfile: join(dist, 'app.js'),
    logLevel: 'warning',
  });
  const outputs = new Map();
  for (const file of result.outputFiles) outputs.set(relative(dist, file.path), file.contents);
  outputs.set('third-party-licenses.txt', await licences(result.metafile));
  for (const name of ['index.html', 'style.css']) outputs.set(name, await readFile(join(src, name)));

  const changed = [];
  for (const [name, content] of outputs) {
    if (await writeIfChanged(name, content)) changed.push(name);
  }
  for (const name of await readdir(dist)) {
    if (!outputs.has(name)) {
      await rm(join(dist, name), { recursive: true, force: true });
      changed.push(`-${name}`);
    }
  }
  console.log(changed.length ? `web/dist: updated ${changed.join(', ')}` : 'web/dist: up to date');
}

main().catch((err) => {
  console.error(err.message || err);
  process.exit(1);
});
