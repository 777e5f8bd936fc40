/**
 * Every ```sh block of README.md, docs/*.md and bench/README.md (DOC_PAGES, in order), run with bash
 * (set -euo pipefail) against a fresh server process, as the README's convention says: $GATEHOUSE is
 * that server, $KEY the bootstrap admin key it wrote to its data folder, a variable set by one block
 * is kept for the later ones, and a `# →` comment states the answer of its command (an HTTP status, or
 * JSON whose quoted names and literal values must all be in the answer; without one any status below
 * 400 passes). A failure names the page, the block's line and heading, and the command.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { type ServerProcess, bootstrapCredentials, runToEnd, startServerProcess } from './helpers/process.js';
import { type Block, DOC_PAGES, shBlocks } from './helpers/doc-pages.js';
import { DIALECTS, type TestDatabase, createTestDatabase, skipDialect } from './helpers/services.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

interface PageBlock extends Block {
  page: string;
}

interface Command {
  /** Line within the block (0-based) where the command starts. */
  line: number;
  text: string;
  /** What its `# →` comment says, if it has one. */
  expect?: string;
}

/**
 * Splits a block into commands: a newline ends one unless it is escaped or inside quotes. A comment
 * `# → …` at the end of a command, or on the line after it, states that command's answer.
 */
function commandsOf(block: string): Command[] {
  const commands: Command[] = [];
  let current = '';
  let startLine = 0;
  let line = 0;
  let quote: '"' | "'" | null = null;
  let comment = '';
  // An own-line `# →` belongs to the command on the line just above it.
  let adjacent = false;
  const flush = () => {
    const text = current.trim();
    const arrow = /^#\s*→\s*(.*)$/.exec(comment.trim());
    if (text) commands.push({ line: startLine, text, ...(arrow && { expect: arrow[1]!.trim() }) });
    else if (arrow && adjacent && commands.at(-1)!.expect === undefined) commands.at(-1)!.expect = arrow[1]!.trim();
    adjacent = text !== '';
    current = '';
    comment = '';
  };
  for (let i = 0; i < block.length; i++) {
    const c = block[i]!;
    if (!current.trim() && !comment && c !== '\n') startLine = line;
    if (comment) {
      if (c === '\n') {
        line++;
        flush();
      } else comment += c;
      continue;
    }
    if (quote) {
      current += c;
      if (c === '\n') line++;
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"') current += block[++i] ?? '';
      continue;
    }
    if (c === "'" || c === '"') quote = c;
    if (c === '\\' && block[i + 1] === '\n') {
      current += '\\\n';
      i++;
      line++;
      continue;
    }
    if (c === '#' && (current === '' || /\s$/.test(current))) {
      comment = '#';
      continue;
    }
    if (c === '\n') {
      line++;
      flush();
      continue;
    }
    current += c;
  }
  flush();
  return commands;
}

const ansiC = (s: string) => `$'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;

/** Shell functions every block runs with: curl that checks answers, npx gatehouse. */
const PRELUDE = readFileSync(path.join(ROOT, 'test/helpers/readme-prelude.sh'), 'utf8');

/** A block as a bash script: each command preceded by where it is and what it should answer. */
function scriptOf(block: PageBlock, index: number, variables: string[]): string {
  const where = `block ${index + 1} (${block.page} line ${block.line}, under "${block.heading}")`;
  const body = commandsOf(block.text)
    .map((c) => [`GH_CMD=${ansiC(c.text.split('\n')[0]!.slice(0, 160))}`, `GH_EXPECT=${ansiC(c.expect ?? '')}`, c.text].join('\n'))
    .join('\n');
  return [
    'set -euo pipefail',
    'source "$GH_STATE"',
    PRELUDE,
    `GH_WHERE=${ansiC(`${where}`)}`,
    `GH_LINE=${block.line}`,
    // What the block set is kept for the next blocks even when it fails, so one failure is reported once.
    `trap 'for gh_v in ${variables.join(' ') || 'GH_NONE'}; do if [[ -v $gh_v ]]; then declare -p "$gh_v"; fi; done > "$GH_STATE"' EXIT`,
    body,
  ].join('\n');
}

/** The names a README command assigns (NAME=… or export NAME=…), kept from block to block. */
function assignedVariables(blocks: Block[]): string[] {
  const names = new Set<string>();
  for (const b of blocks) for (const m of b.text.matchAll(/(?:^|[\s;(])(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=/gm)) names.add(m[1]!);
  return [...names].filter((n) => !n.startsWith('GH_'));
}

const runBash = (script: string, env: Record<string, string>, cwd: string) => runToEnd('bash', ['-c', script], { cwd, env });

const blocks: PageBlock[] = DOC_PAGES.flatMap((page) => shBlocks(readFileSync(path.join(ROOT, page), 'utf8')).map((b) => ({ ...b, page })));

test('the pages have command blocks, and each splits into the commands it shows', () => {
  assert.ok(blocks.length >= 5, 'the walk-through is written in ```sh blocks');
  const split = commandsOf("X=$(curl -s a \\\n  -d '{\n  \"a\": 1 }' | jq -r .a)   # → 201 {\"a\":1}\ncurl b\n# → pong\n");
  assert.deepEqual(split, [
    { line: 0, text: "X=$(curl -s a \\\n  -d '{\n  \"a\": 1 }' | jq -r .a)", expect: '201 {"a":1}' },
    { line: 3, text: 'curl b', expect: 'pong' },
  ]);
});

const skips = Object.fromEntries(await Promise.all(DIALECTS.map(async (d) => [d, await skipDialect(d)] as const)));

// The dialects run side by side (each on its own server); the blocks of one run in order.
describe('every command of the README and docs/ works when copied', { concurrency: DIALECTS.length }, () => {
  for (const dialect of DIALECTS) {
    describe(`on ${dialect}`, { skip: skips[dialect], concurrency: 1 }, () => {
      let database: TestDatabase;
      let server: ServerProcess;
      let work: string;
      let env: Record<string, string>;
      before(async () => {
        database = await createTestDatabase(dialect);
        const serverEnv = { DATABASE_URL: database.url, GATEHOUSE_DATA_DIR: database.dataDir };
        server = await startServerProcess(serverEnv);
        // Not a terminal: the first start writes its credentials to an owner-only file in the data folder.
        const { apiKey: key } = bootstrapCredentials(database.dataDir);
        work = mkdtempSync(path.join(tmpdir(), 'gatehouse-readme-'));
        writeFileSync(path.join(work, 'state.sh'), '');
        env = {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '/tmp',
          NODE_ENV: 'test',
          KEY: key,
          GATEHOUSE: server.url,
          GH_ROOT: ROOT,
          GH_STATE: path.join(work, 'state.sh'),
          ...serverEnv,
        };
      });
      after(async () => {
        await server?.stop();
        await database?.drop();
        if (work) rmSync(work, { recursive: true, force: true });
      });

      const variables = assignedVariables(blocks);
      blocks.forEach((block, index) => {
        test(`block ${index + 1}, ${block.page} line ${block.line} (${block.heading})`, async () => {
          const result = await runBash(scriptOf(block, index, variables), env, work);
          assert.equal(result.code, 0, `${result.stderr.trim()}\n--- its output ---\n${result.stdout.slice(-1500)}`);
        });
      });
    });
  }
});
