/**
 * deploy/.env.example, made from the settings table in src/config.ts so that it lists every setting
 * with its default and meaning; test/deploy.test.ts keeps the file equal to this. After adding a
 * setting: node --import tsx scripts/env-example.ts > deploy/.env.example
 */
import { pathToFileURL } from 'node:url';
import { SETTINGS } from '../src/config.js';

/** Variables compose.yaml reads that are not Gatehouse settings, with what they are for. */
export const COMPOSE_VARIABLES: ReadonlyArray<[name: string, meaning: string]> = [
  ['POSTGRES_PASSWORD', "password of the gatehouse role in compose.yaml's PostgreSQL (required there)"],
];

/** A default that is a value (not "(none)" or a description) is shown as the commented-out value. */
const literal = (fallback: string) => !/^\(.*\)$|[<>]| \(/.test(fallback);

export function envExample(): string {
  const masterKey = SETTINGS.find(([name]) => name === 'GATEHOUSE_MASTER_KEY')!;
  const lines = [
    '# Gatehouse settings: every one, with its default and meaning (generated from src/config.ts by',
    '# scripts/env-example.ts; do not edit by hand). Copy to .env next to compose.yaml, or to',
    '# /etc/gatehouse/gatehouse.env for the systemd unit, and uncomment what you change.',
    '# compose.yaml sets NODE_ENV, GATEHOUSE_DATA_DIR, DATABASE_URL and REDIS_URL itself, and publishes port 3000.',
    '',
    '# Required by compose.yaml:',
    `# ${masterKey[2]} (default: ${masterKey[1]}); make one with openssl rand -hex 32, the same on every node`,
    'GATEHOUSE_MASTER_KEY=',
    ...COMPOSE_VARIABLES.flatMap(([name, meaning]) => [`# ${meaning}`, `${name}=`]),
    '',
  ];
  for (const [name, fallback, meaning] of SETTINGS) {
    if (name === 'GATEHOUSE_MASTER_KEY') continue;
    lines.push(`# ${meaning} (default: ${fallback})`, `#${name}=${literal(fallback) ? fallback : ''}`);
  }
  return `${lines.join('\n')}\n`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) process.stdout.write(envExample());
