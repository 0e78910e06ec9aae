import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT_DIR } from '../../src/shared/paths.js';

/**
 * The repository's Dockerfile read into its stages, for the tests that check it without Docker (none
 * on the machines that run the suite): what each stage copies, runs and sets.
 */
export const ROOT = ROOT_DIR;

export interface Copy {
  /** The stage it copies from; undefined → the build context (the repository). */
  from?: string;
  sources: string[];
  dest: string;
}

export interface Stage {
  name?: string;
  image: string;
  copies: Copy[];
  runs: string[];
  env: Record<string, string>;
  user?: string;
  cmd?: string[];
}

/** Instructions one per line: continuations joined, comments and blank lines left out. */
function instructions(text: string): Array<{ op: string; args: string }> {
  const out: Array<{ op: string; args: string }> = [];
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!current && (line === '' || line.startsWith('#'))) continue;
    if (line.endsWith('\\')) {
      current += `${line.slice(0, -1).trim()} `;
      continue;
    }
    const full = `${current}${line}`.trim();
    current = '';
    const m = /^([A-Z]+)\s+([\s\S]*)$/.exec(full);
    if (m) out.push({ op: m[1]!, args: m[2]! });
  }
  return out;
}

/** `KEY=value KEY2="two words"` of an ENV instruction. */
function envPairs(args: string): Record<string, string> {
  const pairs: Record<string, string> = {};
  for (const m of args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S*)/g)) {
    pairs[m[1]!] = m[2]!.replace(/^"|"$/g, '');
  }
  return pairs;
}

export function readDockerfile(file = path.join(ROOT, 'Dockerfile')): Stage[] {
  const stages: Stage[] = [];
  for (const { op, args } of instructions(readFileSync(file, 'utf8'))) {
    if (op === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      stages.push({
        image: m?.[1] ?? args,
        ...(m?.[2] ? { name: m[2] } : {}),
        copies: [],
        runs: [],
        env: {},
      });
      continue;
    }
    const stage = stages.at(-1);
    if (!stage) continue; // ARG before the first FROM
    if (op === 'COPY') {
      const words = args.split(/\s+/);
      const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length);
      const paths = words.filter((w) => !w.startsWith('--'));
      stage.copies.push({ ...(from ? { from } : {}), sources: paths.slice(0, -1), dest: paths.at(-1)! });
    } else if (op === 'RUN') stage.runs.push(args);
    else if (op === 'ENV') Object.assign(stage.env, envPairs(args));
    else if (op === 'USER') stage.user = args.trim();
    else if (op === 'CMD') stage.cmd = JSON.parse(args) as string[];
  }
  return stages;
}
