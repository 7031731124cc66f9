// Summarises a V8 .cpuprofile (from `node --cpu-prof`): self time by function, by file and by
// package. Used by bench/run.mjs (BENCH_PROFILE=1); also runs on its own:
//   node bench/profile-summary.mjs path/to/file.cpuprofile [top]
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Where a frame's code lives, relative to the repo (dist/…, node_modules/<pkg>/…) or node:internal. */
function shortUrl(url) {
  if (!url) return '';
  let path = url.startsWith('file://') ? fileURLToPath(url) : url;
  if (path.startsWith(ROOT)) path = path.slice(ROOT.length);
  return path;
}

function packageOf(path, functionName) {
  if (!path) return functionName.startsWith('(') ? functionName : '(native / V8 builtins)';
  if (path.startsWith('node:')) return 'node: core (' + path.split('/')[0].replace(/^node:/, '') + ')';
  const nm = path.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const parts = path.slice(nm + 'node_modules/'.length).split('/');
    return 'node_modules/' + (parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]);
  }
  if (path.startsWith('dist/')) return path.split('/').slice(0, 2).join('/') + '/';
  return path;
}

export function summariseProfile(file, top = 25) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map();
  const { samples, timeDeltas } = profile;
  // timeDeltas[i] is the time since the previous sample; it is charged to the sample that follows it.
  for (let i = 0; i < samples.length; i++) {
    const dt = timeDeltas[i + 1] ?? 0;
    selfUs.set(samples[i], (selfUs.get(samples[i]) ?? 0) + Math.max(0, dt));
  }
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0) || 1;
  const byFunction = new Map();
  const byFile = new Map();
  const byPackage = new Map();
  const add = (map, key, us, extra) => {
    const entry = map.get(key) ?? { key, us: 0, ...extra };
    entry.us += us;
    map.set(key, entry);
  };
  for (const [id, us] of selfUs) {
    const node = nodes.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const path = shortUrl(url);
    const name = functionName || '(anonymous)';
    add(byFunction, `${name} ${path ? `${path}:${lineNumber + 1}` : ''}`.trim(), us, { name, where: path ? `${path}:${lineNumber + 1}` : '' });
    add(byFile, path || name, us);
    add(byPackage, packageOf(path, name), us);
  }
  const rank = (map, n) =>
    [...map.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, n)
      .map((e) => ({ ...e, ms: Math.round(e.us / 1000), pct: Math.round((e.us / total) * 1000) / 10 }));
  const idle = (byFunction.get('(idle)')?.us ?? 0) / total;
  return {
    file,
    durationMs: Math.round((profile.endTime - profile.startTime) / 1000),
    samples: samples.length,
    idlePct: Math.round(idle * 1000) / 10,
    functions: rank(byFunction, top),
    files: rank(byFile, Math.min(top, 20)),
    packages: rank(byPackage, 15),
  };
}

export function formatProfileSummary(summary) {
  const lines = [];
  lines.push(`CPU profile ${summary.file}: ${summary.durationMs} ms, ${summary.samples} samples, idle ${summary.idlePct} %`);
  const table = (title, rows, label) => {
    lines.push('', title, `  ${'self %'.padStart(7)}  ${'self ms'.padStart(8)}  ${label}`);
    for (const r of rows) lines.push(`  ${r.pct.toFixed(1).padStart(7)}  ${String(r.ms).padStart(8)}  ${r.key}`);
  };
  table('Top functions by self time', summary.functions, 'function  location');
  table('Top files by self time', summary.files, 'file');
  table('By package / folder', summary.packages, 'package');
  return lines.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: node bench/profile-summary.mjs <file.cpuprofile> [top]\n');
    process.exit(2);
  }
  process.stdout.write(formatProfileSummary(summariseProfile(file, Number(process.argv[3] ?? 25))) + '\n');
}
