/**
 * `npm run stats`: the layout's measures (issue 9): query-builder calls outside repositories, the
 * largest source files and the longest functions, over src/ and scripts/ (the sandboxes included).
 * `npm run stats -- <dir>` measures another checkout (e.g. an older commit in a worktree).
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const BASE = process.argv[2] ?? '.';
const ROOTS = ['src', 'scripts'];
const SQL =
  /\.(selectFrom|insertInto|updateTable|deleteFrom)\(|\.transaction\(\)|sql`|sql<[^>]*>`|executePrepared/g;

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return files(p);
    return /\.ts$/.test(e.name) && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

function functions(file: string, text: string): Array<{ name: string; lines: number }> {
  const src = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const out: Array<{ name: string; lines: number }> = [];
  const visit = (n: ts.Node) => {
    if (ts.isFunctionLike(n) && 'body' in n && n.body) {
      const start = src.getLineAndCharacterOfPosition(n.getStart()).line;
      const end = src.getLineAndCharacterOfPosition(n.getEnd()).line;
      const name = n.name && ts.isIdentifier(n.name) ? n.name.text : (n.name?.getText(src) ?? '(anonymous)');
      out.push({ name, lines: end - start + 1 });
    }
    ts.forEachChild(n, visit);
  };
  visit(src);
  return out;
}

const sqlOutside: string[] = [];
const sizes: Array<{ file: string; lines: number }> = [];
const fns: Array<{ where: string; lines: number }> = [];
for (const f of ROOTS.flatMap((r) => files(path.join(BASE, r)))) {
  const rel = path.relative(BASE, f);
  const text = readFileSync(f, 'utf8');
  sizes.push({ file: rel, lines: text.split('\n').length });
  const isRepo = rel.endsWith('.repository.ts') || rel.startsWith(path.join('src', 'shared', 'db'));
  if (rel.startsWith('src') && !isRepo) {
    for (const m of text.matchAll(SQL)) sqlOutside.push(`${rel}: ${m[0]}`);
  }
  for (const fn of functions(f, text)) fns.push({ where: `${rel} ${fn.name}`, lines: fn.lines });
}
sizes.sort((a, b) => b.lines - a.lines);
fns.sort((a, b) => b.lines - a.lines);
const report = {
  sqlOutsideRepositories: sqlOutside.length,
  largestFiles: sizes.slice(0, 5).map((s) => `${s.file} (${s.lines})`),
  longestFunctions: fns.slice(0, 8).map((f) => `${f.where} (${f.lines})`),
  filesOver400: sizes.filter((s) => s.lines > 400).map((s) => s.file),
  functionsOver60: fns.filter((f) => f.lines > 60).map((f) => f.where),
};
process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
