/**
 * The pages of documentation whose ```sh blocks are run, in the order the README's table of contents
 * lists them: the later pages use the variables the earlier ones set (the admin API's tenants and
 * accounts are made in docs/admin.md and used from there on).
 */
export const DOC_PAGES = [
  'README.md',
  'docs/admin.md',
  'docs/console.md',
  'docs/smart2fa.md',
  'docs/delivery.md',
  'docs/comm100.md',
  'docs/passkeys.md',
  'docs/voice.md',
  'docs/flexisip.md',
  'docs/operations.md',
  'docs/cli.md',
  'docs/security.md',
  'bench/README.md',
] as const;

export interface Block {
  /** 1-based line of the block's first command in its page. */
  line: number;
  heading: string;
  text: string;
}

/** The ```sh blocks of a page, each with the heading it sits under. */
export function shBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  const lines = markdown.split('\n');
  let heading = '(top)';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (/^#{1,6} /.test(line)) heading = line.replace(/^#+ /, '');
    const fence = /^```(\S*)\s*$/.exec(line);
    if (!fence) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !/^```\s*$/.test(lines[end]!)) end++;
    if (fence[1] === 'sh') blocks.push({ line: start + 1, heading, text: lines.slice(start, end).join('\n') });
    i = end;
  }
  return blocks;
}
