/**
 * Starts the real server (buildServer + listen on a random port) on a fresh database of a dialect,
 * with the bootstrap tenant and admin key, and captures its JSON log lines.
 */
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { type Config, loadConfig } from '../../src/config.js';
import { type BootstrapCredentials, bootstrapIfEmpty } from '../../src/core/bootstrap.js';
import { type Runtime, openRuntime } from '../../src/runtime.js';
import { buildServer } from '../../src/server.js';
import { type Dialect, REDIS_URL, type TestDatabase, createTestDatabase, redisPrefix } from './services.js';

export interface TestServer {
  url: string;
  app: FastifyInstance;
  runtime: Runtime;
  config: Config;
  database: TestDatabase;
  admin: BootstrapCredentials;
  /** Every log line written so far, raw. */
  logs: string[];
  close(): Promise<void>;
}

export interface TestServerOptions {
  redis?: boolean;
  env?: Record<string, string>;
  /** Reuse a database (e.g. a second node on the same PostgreSQL); the caller drops it. */
  database?: TestDatabase;
  /** Listen on this port rather than a random one (a test whose public URL must name the port). */
  port?: number;
}

export async function startTestServer(dialect: Dialect, options: TestServerOptions = {}): Promise<TestServer> {
  const database = options.database ?? (await createTestDatabase(dialect));
  const config = loadConfig({
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'info',
    GATEHOUSE_DATA_DIR: database.dataDir,
    DATABASE_URL: database.url,
    ...(options.redis && { REDIS_URL, GATEHOUSE_REDIS_PREFIX: redisPrefix() }),
    ...options.env,
  });
  const logs: string[] = [];
  const logStream = new Writable({
    write(chunk, _enc, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const runtime = await openRuntime(config);
  const app = await buildServer(runtime, { logStream });
  const admin = (await bootstrapIfEmpty(runtime.core)) ?? ({} as BootstrapCredentials);
  await app.listen({ port: options.port ?? 0, host: '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    app,
    runtime,
    config,
    database,
    admin,
    logs,
    async close() {
      await app.close();
      await runtime.close();
      if (!options.database) await database.drop();
    },
  };
}

export interface Reply<T = any> {
  status: number;
  body: T;
  text: string;
  headers: Headers;
}

/** fetch with JSON in and out; `json` sets the body and content type. */
export async function call<T = any>(
  url: string,
  init: { method?: string; headers?: Record<string, string>; json?: unknown; body?: string } = {},
): Promise<Reply<T>> {
  const headers = { ...init.headers };
  let body = init.body;
  if (init.json !== undefined) {
    headers['content-type'] ??= 'application/json';
    body = JSON.stringify(init.json);
  }
  const res = await fetch(url, { method: init.method ?? (body !== undefined ? 'POST' : 'GET'), headers, body });
  const text = await res.text();
  let parsed: any = text;
  try {
    parsed = JSON.parse(text);
  } catch {}
  return { status: res.status, body: parsed, text, headers: res.headers };
}

export const basic = (sid: string, token: string) => ({ authorization: `Basic ${Buffer.from(`${sid}:${token}`).toString('base64')}` });
export const apiKey = (key: string) => ({ 'x-api-key': key });
export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
