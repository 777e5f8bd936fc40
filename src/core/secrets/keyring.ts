/**
 * The master keys that seal secrets at rest. The current key encrypts; every known key decrypts,
 * found by the key id stored in each envelope. Keys come from GATEHOUSE_MASTER_KEY (plus
 * GATEHOUSE_PREVIOUS_MASTER_KEYS), or from a key file created at first start with mode 0600.
 */
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

interface KeyFile {
  current: string;
  keys: Array<{ kid: string; key: string; created: string }>;
}

export interface Keyring {
  currentKid(): string;
  key(kid: string): Buffer | undefined;
  /** Creates a new current key (key file only) and answers its id. */
  addKey(): string;
  readonly source: 'env' | 'file';
}

export const keyFilePath = (dataDir: string) => path.join(dataDir, 'master.key');

const kidOf = (key: Buffer) => 'k' + createHash('sha256').update(key).digest('hex').slice(0, 12);

export function keyringFromEnv(current: string, previous: string[]): Keyring {
  const keys = new Map<string, Buffer>();
  const cur = Buffer.from(current, 'base64');
  for (const b64 of [current, ...previous]) {
    const key = Buffer.from(b64, 'base64');
    keys.set(kidOf(key), key);
  }
  return {
    source: 'env',
    currentKid: () => kidOf(cur),
    key: (kid) => keys.get(kid),
    addKey() {
      throw new Error('the master key comes from GATEHOUSE_MASTER_KEY: set a new one there and the old one in GATEHOUSE_PREVIOUS_MASTER_KEYS');
    },
  };
}

export function keyringFromFile(dataDir: string): Keyring {
  const file = keyFilePath(dataDir);
  let state = loadOrCreate(file);
  const lookup = (kid: string) => state.keys.find((k) => k.kid === kid);
  return {
    source: 'file',
    currentKid: () => state.current,
    key(kid) {
      // Another process (gatehouse keys rotate) may have added a key since we read the file.
      if (!lookup(kid)) state = read(file);
      const entry = lookup(kid);
      return entry ? Buffer.from(entry.key, 'base64') : undefined;
    },
    addKey() {
      const key = randomBytes(32);
      const kid = kidOf(key);
      state = read(file);
      state = { current: kid, keys: [{ kid, key: key.toString('base64'), created: new Date().toISOString() }, ...state.keys] };
      write(file, state);
      return kid;
    },
  };
}

function loadOrCreate(file: string): KeyFile {
  if (existsSync(file)) return read(file);
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const key = randomBytes(32);
  const kid = kidOf(key);
  const state: KeyFile = { current: kid, keys: [{ kid, key: key.toString('base64'), created: new Date().toISOString() }] };
  try {
    // wx: two processes starting at once must not both create (and so disagree on) the key.
    writeFileSync(file, JSON.stringify(state, null, 2), { mode: 0o600, flag: 'wx' });
    return state;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return read(file);
    throw err;
  }
}

function read(file: string): KeyFile {
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as KeyFile;
  if (!parsed.current || !Array.isArray(parsed.keys) || !parsed.keys.some((k) => k.kid === parsed.current)) {
    throw new Error(`${file} is not a Gatehouse key file`);
  }
  return parsed;
}

function write(file: string, state: KeyFile): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(state, null, 2), { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}
