/**
 * One validated configuration object, built once at start from the environment and an optional JSON
 * file (GATEHOUSE_CONFIG; the environment wins). Nothing reads process.env after this.
 * A bad value throws ConfigError naming the variable, and the server does not start.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { isSmsSender } from './channels/twilio.js';
import { type SipProxy, parseSipProxy } from './core/sip/message.js';
import type { RetentionDays } from './core/growth/retention.js';

export class ConfigError extends Error {
  constructor(readonly variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

export type DatabaseConfig = { dialect: 'sqlite'; file: string } | { dialect: 'postgres'; url: string };

export interface Config {
  env: 'development' | 'production' | 'test';
  host: string;
  port: number;
  dataDir: string;
  database: DatabaseConfig;
  redis: { url: string; prefix: string } | null;
  masterKey: { current: string; previous: string[] } | null;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  trustProxy: boolean;
  outboxEnabled: boolean;
  shutdownTimeoutMs: number;
  jwt: {
    issuer: string;
    ttlSeconds: number;
    /**
     * maxTtlSeconds: the longest an external token may live, from its iat and from now (it must carry
     * exp). asAdmin: whether one may act as an `admin` account (the deployment's operator); off by default.
     */
    external: { issuer: string; audience: string; publicKeyPem: string; maxTtlSeconds: number; asAdmin: boolean } | null;
  };
  /** The Comm100 login flow: how long a preLoginToken lives and how long a lock lasts. */
  login: { preLoginTtlMs: number; lockMs: number };
  /** The Comm100 voice face: how long a Twilio Access Token for an agent's browser lives. */
  voice: { tokenTtlSeconds: number };
  /** Base URL Twilio reaches this server at (status callbacks); null when not public. */
  publicUrl: string | null;
  /**
   * Passkeys (WebAuthn): the relying party ID (the public URL's host) and every origin a ceremony may
   * come from (the public URL's, then GATEHOUSE_PASSKEY_ORIGINS); null without a public URL (no passkeys).
   */
  passkeys: { rpId: string; rpName: string; origins: string[] } | null;
  twilio: TwilioConfig | null;
  smtp: SmtpConfig | null;
  /** Which provider delivers each channel, settled at start (see channels/select.ts). */
  channels: Record<'sms' | 'call' | 'email', ChannelProvider>;
  /** The SMS-pumping conversion guard (core/fraud/guard.ts, docs/delivery.md "Fraud guard"). */
  fraud: FraudConfig;
  flexisip: FlexisipConfig;
  sip: SipConfig;
  /** Time a client has to send a whole request, and the longest a connection may stay silent. */
  requestTimeoutMs: number;
  /** Password tries allowed per email and per client address: `max` per `intervalMs`, refilling evenly. */
  loginRate: { account: RateSetting; address: RateSetting };
  /** Days each kind of data is kept (0: for ever), and seconds between pruning passes (0: this node never prunes). */
  retention: { days: RetentionDays; intervalMs: number };
  /** OpenTelemetry traces: where they go over OTLP/HTTP and the service name they carry; null: no traces (the SDK is not even loaded). */
  otel: { endpoint: string; serviceName: string } | null;
  /** The delivery queue (core/queue): its workers, retries and fallback timing. */
  delivery: DeliveryConfig;
  /** Tenant webhooks (core/events): who may be called, what TLS roots are trusted, how long to wait, when to try again. */
  webhooks: WebhookConfig;
}

export interface DeliveryConfig {
  /** Tries of one channel before the code falls back to the next channel, or is recorded failed. */
  attempts: number;
  /** The first retry's delay; each next one doubles, up to backoffMaxMs, with jitter. */
  backoffMs: number;
  backoffMaxMs: number;
  /** How long a claimed job is its worker's: after it, another worker (or the restarted process) takes it. */
  leaseMs: number;
  /** Jobs one process delivers at once. */
  concurrency: number;
  /** How often a process looks for due jobs it was not woken for (another process's, a retry's). */
  pollMs: number;
  /** With a fallback channel and Twilio status callbacks: how long to wait for "delivered" before falling back; 0: never wait. */
  reportTimeoutMs: number;
}

export interface WebhookConfig {
  /** true: URLs may resolve to loopback, private, link-local and metadata addresses (tests, closed networks). */
  allowPrivate: boolean;
  /** Extra PEM certificates trusted besides Node's roots (an internal CA); null: the roots only. */
  caPem: string | null;
  /** How long one attempt waits for the receiver's answer. */
  timeoutMs: number;
  /** The waits before each retry, in order: their count is the number of retries after the first attempt. */
  retryDelaysMs: number[];
}

/** Gatehouse as a SIP peer: where SIP MESSAGEs go, and the registrar it can ask to drop a registration. */
export interface SipConfig {
  /** Outbound proxy for POST /api/messages; null: that endpoint answers 503. */
  proxy: SipProxy | null;
  /** Kamailio's JSON-RPC over HTTP (its jsonrpcs module); null: removing a device only forgets it. */
  registrarRpcUrl: string | null;
}

/** The Flexisip account manager face (/api) and the SIP registrar's internal routes. */
export interface FlexisipConfig {
  /** The Digest realm of every account; null: each account's own domain. */
  realm: string | null;
  /** The domain of accounts created by public endpoints that name none. */
  defaultDomain: string | null;
  dangerousEndpoints: boolean;
  emailUnique: boolean;
  /** Where send-by-push tokens go; null: the development outbox. */
  pushWebhookUrl: string | null;
  /** Shared with the SIP registrar for /internal/sip/…; null: those routes answer 404. */
  registrarSecret: string | null;
  /** Upstream's blocking service: this many codes asked for within blockingPeriodMs block the account; 0: never. */
  blockingEvents: number;
  blockingPeriodMs: number;
  /** Usernames no account may take: each entry is the name itself or a regular expression found in it. */
  blacklistedUsernames: readonly (string | RegExp)[];
}

export interface FraudConfig {
  /** Off: no prefix is ever blocked (number classes are still refused). */
  enabled: boolean;
  /** Sends (to a real provider) in the window before conversion is judged. */
  minSends: number;
  /** The lowest conversion (verified ÷ sent, percent) a prefix may keep once it has minSends. */
  minConversionPercent: number;
  windowMs: number;
  blockMs: number;
  /** National digits after the calling code that make a prefix (+1-415 with 3). */
  prefixDigits: number;
}

export interface RateSetting {
  max: number;
  intervalMs: number;
}

export type ChannelProvider = 'twilio' | 'smtp' | 'outbox' | 'none';

export interface TwilioConfig {
  baseUrl: string;
  accountSid: string;
  /** HTTP Basic credentials: AccountSid + AuthToken, or API key SID + secret. */
  username: string;
  password: string;
  /** Signs status callbacks; null when only an API key is configured (callbacks then cannot be checked). */
  authToken: string | null;
  /** The SK… API key and its secret: they sign the Access Tokens of agents' browsers. */
  apiKey: { sid: string; secret: string } | null;
  /** AP… TwiML application whose voice URL an agent's outgoing browser call reaches. */
  twimlAppSid: string | null;
  from: string | null;
  messagingServiceSid: string | null;
  timeoutMs: number;
}

export interface SmtpConfig {
  url: string;
  from: string | null;
  rejectUnauthorized: boolean;
  requireTls: boolean;
  timeoutMs: number;
}

/** Every setting with its default, for the README and `gatehouse --help`. */
export const SETTINGS: ReadonlyArray<[name: string, fallback: string, meaning: string]> = [
  ['PORT', '3000', 'TCP port the server listens on'],
  ['HOST', '0.0.0.0', 'address the server binds'],
  ['GATEHOUSE_DATA_DIR', './data', 'folder of the SQLite file and the master key file'],
  ['DATABASE_URL', 'sqlite:<data dir>/gatehouse.db', 'sqlite:<file> or postgres://user@host:port/db'],
  ['REDIS_URL', '(none)', 'redis://host:port; shared state for many nodes (else kept in the SQL database)'],
  ['GATEHOUSE_REDIS_PREFIX', 'gatehouse:', 'prefix of every Redis key'],
  ['GATEHOUSE_MASTER_KEY', '(key file)', '32-byte key, 64 hex digits or base64; else <data dir>/master.key is created (0600)'],
  ['GATEHOUSE_PREVIOUS_MASTER_KEYS', '(none)', 'comma-separated older keys still readable, for rotation'],
  ['NODE_ENV', 'development', 'development, production or test'],
  ['LOG_LEVEL', 'info', 'fatal, error, warn, info, debug, trace or silent'],
  ['GATEHOUSE_TRUST_PROXY', 'false', 'true to take the client address from X-Forwarded-For'],
  ['GATEHOUSE_OUTBOX', 'true (false in production)', 'store every message in the development outbox; in production, true says the outbox is intended (else a start with no real channel is refused)'],
  ['GATEHOUSE_SHUTDOWN_TIMEOUT', '10', 'seconds to finish in-flight requests after SIGTERM'],
  ['GATEHOUSE_JWT_ISSUER', 'gatehouse', 'iss of the JWTs Gatehouse signs'],
  ['GATEHOUSE_JWT_TTL', '3600', 'lifetime in seconds of the JWTs Gatehouse signs'],
  ['GATEHOUSE_EXTERNAL_JWT_ISSUER', '(none)', 'iss of an external issuer whose JWTs are accepted'],
  ['GATEHOUSE_EXTERNAL_JWT_PUBLIC_KEY', '(none)', 'its public key: PEM text, or @/path/to/key.pem'],
  ['GATEHOUSE_EXTERNAL_JWT_AUDIENCE', 'gatehouse', 'aud the external JWTs must carry'],
  ['GATEHOUSE_EXTERNAL_JWT_MAX_TTL', '3600', 'longest lifetime in seconds of an external JWT (exp - iat, and exp - now); one without exp is refused'],
  ['GATEHOUSE_EXTERNAL_JWT_ADMIN', 'false', 'true to let an external JWT act as a deployment admin (an admin account named by its tenant and email claims)'],
  ['GATEHOUSE_PRELOGIN_TTL', '300', 'seconds a Comm100 preLoginToken lives ("Timeout" after)'],
  ['GATEHOUSE_LOGIN_LOCK', '900', 'seconds an account stays locked after 10 consecutive second-factor failures'],
  ['GATEHOUSE_CONFIG', '(none)', 'path of a JSON file with any of these settings'],
  ['GATEHOUSE_REQUEST_TIMEOUT', '30', 'seconds a client has to send a whole request (and the longest a connection may stay silent)'],
  ['GATEHOUSE_LOGIN_RATE_ACCOUNT', '10/600', 'password tries per email address: N/seconds, refilling evenly'],
  ['GATEHOUSE_LOGIN_RATE_ADDRESS', '100/600', 'password tries per client address: N/seconds, refilling evenly'],
  ['GATEHOUSE_PUBLIC_URL', '(none)', 'https://host the internet reaches Gatehouse at; Twilio status callbacks go to <it>/2fa/callbacks/twilio/status'],
  ['GATEHOUSE_PASSKEY_ORIGINS', '(none)', 'more origins passkey ceremonies may come from, comma-separated (https://host[:port], or http://localhost:port), each on the public URL\'s host or a subdomain of it; the relying party ID is the public URL\'s host'],
  ['GATEHOUSE_PASSKEY_RP_NAME', 'Gatehouse', 'the name an authenticator shows for passkeys made here'],
  ['TWILIO_ACCOUNT_SID', '(none)', 'AC… of the Twilio account that sends SMS and places calls'],
  ['TWILIO_AUTH_TOKEN', '(none)', "the account's auth token (also checks the signature of status callbacks)"],
  ['TWILIO_API_KEY_SID', '(none)', 'SK… API key used instead of the auth token for REST calls'],
  ['TWILIO_API_KEY_SECRET', '(none)', 'secret of TWILIO_API_KEY_SID'],
  ['TWILIO_FROM', '(none)', 'default sender: E.164 number (or alphanumeric sender ID, SMS only) when a send gives no from'],
  ['TWILIO_MESSAGING_SERVICE_SID', '(none)', 'MG… messaging service used for SMS (picks the sender when no from is given)'],
  ['TWILIO_BASE_URL', 'https://api.twilio.com', "base URL of Twilio's REST API"],
  ['TWILIO_TIMEOUT', '10', 'seconds to wait for a Twilio API answer'],
  ['TWILIO_TWIML_APP_SID', '(none)', "AP… TwiML application of agents' outgoing browser calls (its voice URL is <public URL>/voicetwilio/voice)"],
  ['GATEHOUSE_VOICE_TOKEN_TTL', '3600', "seconds a Twilio Access Token for an agent's browser lives (at most 86400)"],
  ['SMTP_URL', '(none)', 'smtp://user:pass@host:587 (STARTTLS when offered) or smtps://user:pass@host:465'],
  ['SMTP_FROM', '(none)', 'default sender address of code emails when a send gives no from'],
  ['SMTP_REQUIRE_TLS', 'false', 'true to refuse an smtp:// server that does not offer STARTTLS'],
  ['SMTP_TLS_REJECT_UNAUTHORIZED', 'true', "false to accept an SMTP server's self-signed certificate"],
  ['SMTP_TIMEOUT', '10', 'seconds to wait for the SMTP server at each step'],
  ['GATEHOUSE_SMS_CHANNEL', '(auto)', 'twilio, outbox or none; auto: twilio when configured, else outbox when enabled, else none'],
  ['GATEHOUSE_CALL_CHANNEL', '(auto)', 'twilio, outbox or none; auto as for SMS'],
  ['GATEHOUSE_EMAIL_CHANNEL', '(auto)', 'smtp, outbox or none; auto: smtp when SMTP_URL is set, else outbox when enabled, else none'],
  ['GATEHOUSE_SIP_REALM', '(the domain)', 'Digest realm of every SIP account; unset: each account\'s own domain'],
  ['GATEHOUSE_FLEXISIP_DOMAIN', '(none)', 'SIP domain of accounts created by public /api endpoints that name none'],
  ['GATEHOUSE_FLEXISIP_BLOCKING_EVENTS', '5', 'email and phone change codes one SIP account may ask for within GATEHOUSE_FLEXISIP_BLOCKING_PERIOD (a recent change to the account counts as one, as upstream counts it); the next request blocks the account (403) until an admin unblocks it; 0: never'],
  ['GATEHOUSE_FLEXISIP_BLOCKING_PERIOD', '1800', 'seconds over which GATEHOUSE_FLEXISIP_BLOCKING_EVENTS are counted'],
  ['GATEHOUSE_FRAUD_GUARD', 'true', 'the SMS-pumping conversion guard: false never blocks a prefix (premium-rate, shared-cost and invalid numbers are refused regardless)'],
  ['GATEHOUSE_FRAUD_MIN_SENDS', '30', 'sms/call codes a tenant sends to one prefix within GATEHOUSE_FRAUD_WINDOW before their conversion is judged'],
  ['GATEHOUSE_FRAUD_MIN_CONVERSION', '20', 'percent of those codes that must be verified; below it, new sends to the prefix are refused (456)'],
  ['GATEHOUSE_FRAUD_WINDOW', '3600', 'seconds of sends and verifications the conversion is measured over (a sliding window of two halves)'],
  ['GATEHOUSE_FRAUD_BLOCK', '43200', 'seconds a blocked prefix stays blocked unless an admin lifts it (Twilio Fraud Guard blocks for 12 hours)'],
  ['GATEHOUSE_FRAUD_PREFIX_DIGITS', '3', 'national digits after the calling code that make a destination prefix (+1-415, +44-771)'],
  ['GATEHOUSE_FLEXISIP_BLACKLISTED_USERNAMES', '(none)', 'comma-separated usernames no SIP account may take; each entry is refused as itself and, as a regular expression, wherever it matches'],
  ['GATEHOUSE_FLEXISIP_DANGEROUS_ENDPOINTS', 'false', 'true to serve the deprecated, unsecure /api endpoints (public creation, info-by-phone, recovery)'],
  ['GATEHOUSE_FLEXISIP_EMAIL_UNIQUE', 'false', 'true to refuse a SIP account email already used in its domain'],
  ['GATEHOUSE_PUSH_WEBHOOK_URL', '(none)', 'https:// URL that receives send-by-push tokens as JSON; unset: the development outbox'],
  ['GATEHOUSE_REGISTRAR_SECRET', '(none)', 'secret the SIP registrar sends in x-gatehouse-registrar-secret to /internal/sip/…; unset: those routes answer 404'],
  ['GATEHOUSE_SIP_PROXY', '(none)', 'udp:host:port of the SIP proxy that POST /api/messages sends SIP MESSAGEs through; unset: that endpoint answers 503'],
  ['GATEHOUSE_REGISTRAR_RPC_URL', '(none)', 'http:// URL of Kamailio\'s JSON-RPC (jsonrpcs), so removing a device also unregisters it there'],
  ['GATEHOUSE_RETENTION_VERIFICATIONS', '400', 'days verification rows (SDRs) and their events are kept (0: for ever); usage reports read roll-ups and keep every day'],
  ['GATEHOUSE_RETENTION_DELIVERIES', '30', 'days delivery jobs, delivery attempts and webhook deliveries are kept (0: for ever)'],
  ['GATEHOUSE_RETENTION_LOGIN_AUDIT', '400', 'days login audit rows are kept (0: for ever)'],
  ['GATEHOUSE_RETENTION_ADMIN_AUDIT', '400', 'days admin audit rows are kept (0: for ever)'],
  ['GATEHOUSE_RETENTION_CALLS', '400', 'days call records and their events are kept (0: for ever)'],
  ['GATEHOUSE_RETENTION_SIP_STATISTICS', '400', 'days SIP message and call statistics are kept (0: for ever)'],
  ['GATEHOUSE_RETENTION_OUTBOX', '7', 'days development outbox messages are kept (0: for ever)'],
  ['GATEHOUSE_RETENTION_INTERVAL', '60', 'seconds between pruning passes (one node at a time prunes); 0: this node never prunes'],
  ['OTEL_EXPORTER_OTLP_ENDPOINT', '(none)', 'http(s):// base URL of an OpenTelemetry collector (OTLP over HTTP; spans go to <it>/v1/traces); unset: no traces, and the OpenTelemetry SDK is not loaded'],
  ['OTEL_SERVICE_NAME', 'gatehouse', 'service.name of the spans'],
  ['GATEHOUSE_DELIVERY_ATTEMPTS', '5', 'tries of one channel (a provider 5xx, 429, timeout or connection error is tried again) before the code falls back to the next channel or is recorded failed'],
  ['GATEHOUSE_DELIVERY_BACKOFF_MS', '1000', 'milliseconds before the first retry; each next retry waits twice as long (with jitter), or what Retry-After asks'],
  ['GATEHOUSE_DELIVERY_BACKOFF_MAX_MS', '60000', 'the longest wait between two retries, in milliseconds'],
  ['GATEHOUSE_DELIVERY_LEASE', '60', 'seconds a worker holds a claimed delivery; a job whose worker died is delivered again after it'],
  ['GATEHOUSE_DELIVERY_CONCURRENCY', '16', 'deliveries one process makes at once'],
  ['GATEHOUSE_DELIVERY_POLL_MS', '1000', 'milliseconds between two looks for due deliveries (a send wakes its own process at once)'],
  ['GATEHOUSE_DELIVERY_REPORT_TIMEOUT', '120', 'seconds to wait for Twilio to report an SMS or call delivered before a send with a fallback channel falls back (needs GATEHOUSE_PUBLIC_URL); 0: fall back only on a failure'],
  ['GATEHOUSE_WEBHOOKS_ALLOW_PRIVATE', 'false', 'true to let tenant webhook URLs resolve to loopback, private, link-local or metadata addresses (tests, closed networks); false refuses them at registration and at every delivery'],
  ['GATEHOUSE_WEBHOOKS_CA', '(none)', "extra CA certificates tenant webhook receivers are trusted with, besides Node's roots: PEM text, or @/path/to/ca.pem"],
  ['GATEHOUSE_WEBHOOKS_TIMEOUT', '10', 'seconds one webhook delivery waits for the receiver to answer'],
  ['GATEHOUSE_WEBHOOKS_RETRY', '5,300,1800,7200,18000,36000,36000', 'seconds to wait before each retry of a failed webhook delivery (decimals allowed), comma-separated; their count is the number of retries'],
];

type Env = Record<string, string | undefined>;

export function loadConfig(processEnv: Env = process.env, cwd = process.cwd()): Config {
  const env = withConfigFile(processEnv);
  const get = (name: string) => {
    const v = env[name];
    return v === undefined || v === '' ? undefined : v;
  };

  const nodeEnv = oneOf('NODE_ENV', get('NODE_ENV') ?? 'development', ['development', 'production', 'test'] as const);
  const dataDir = path.resolve(cwd, get('GATEHOUSE_DATA_DIR') ?? './data');
  const redisUrl = get('REDIS_URL');
  if (redisUrl && !/^rediss?:\/\//.test(redisUrl)) throw new ConfigError('REDIS_URL', 'must start with redis:// or rediss://');

  const externalIssuer = get('GATEHOUSE_EXTERNAL_JWT_ISSUER');
  const externalKey = get('GATEHOUSE_EXTERNAL_JWT_PUBLIC_KEY');
  if (Boolean(externalIssuer) !== Boolean(externalKey)) {
    throw new ConfigError(
      externalIssuer ? 'GATEHOUSE_EXTERNAL_JWT_PUBLIC_KEY' : 'GATEHOUSE_EXTERNAL_JWT_ISSUER',
      'an external JWT issuer needs both GATEHOUSE_EXTERNAL_JWT_ISSUER and GATEHOUSE_EXTERNAL_JWT_PUBLIC_KEY',
    );
  }

  const outboxSetting = get('GATEHOUSE_OUTBOX');
  const outboxEnabled = outboxSetting === undefined ? nodeEnv !== 'production' : boolean('GATEHOUSE_OUTBOX', outboxSetting);
  return {
    env: nodeEnv,
    host: get('HOST') ?? '0.0.0.0',
    port: integer('PORT', get('PORT') ?? '3000', 0, 65535),
    dataDir,
    database: parseDatabaseUrl(get('DATABASE_URL') ?? `sqlite:${path.join(dataDir, 'gatehouse.db')}`, cwd),
    redis: redisUrl ? { url: redisUrl, prefix: get('GATEHOUSE_REDIS_PREFIX') ?? 'gatehouse:' } : null,
    masterKey: parseMasterKeys(get('GATEHOUSE_MASTER_KEY'), get('GATEHOUSE_PREVIOUS_MASTER_KEYS')),
    logLevel: oneOf('LOG_LEVEL', get('LOG_LEVEL') ?? 'info', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const),
    trustProxy: boolean('GATEHOUSE_TRUST_PROXY', get('GATEHOUSE_TRUST_PROXY') ?? 'false'),
    outboxEnabled,
    shutdownTimeoutMs: integer('GATEHOUSE_SHUTDOWN_TIMEOUT', get('GATEHOUSE_SHUTDOWN_TIMEOUT') ?? '10', 1, 3600) * 1000,
    jwt: {
      issuer: get('GATEHOUSE_JWT_ISSUER') ?? 'gatehouse',
      ttlSeconds: integer('GATEHOUSE_JWT_TTL', get('GATEHOUSE_JWT_TTL') ?? '3600', 30, 86400 * 30),
      external:
        externalIssuer && externalKey
          ? {
              issuer: externalIssuer,
              audience: get('GATEHOUSE_EXTERNAL_JWT_AUDIENCE') ?? 'gatehouse',
              publicKeyPem: readPem('GATEHOUSE_EXTERNAL_JWT_PUBLIC_KEY', externalKey, cwd),
              maxTtlSeconds: integer('GATEHOUSE_EXTERNAL_JWT_MAX_TTL', get('GATEHOUSE_EXTERNAL_JWT_MAX_TTL') ?? '3600', 1, 86400 * 30),
              asAdmin: boolean('GATEHOUSE_EXTERNAL_JWT_ADMIN', get('GATEHOUSE_EXTERNAL_JWT_ADMIN') ?? 'false'),
            }
          : null,
    },
    login: {
      preLoginTtlMs: integer('GATEHOUSE_PRELOGIN_TTL', get('GATEHOUSE_PRELOGIN_TTL') ?? '300', 1, 3600) * 1000,
      lockMs: integer('GATEHOUSE_LOGIN_LOCK', get('GATEHOUSE_LOGIN_LOCK') ?? '900', 1, 86400) * 1000,
    },
    voice: { tokenTtlSeconds: integer('GATEHOUSE_VOICE_TOKEN_TTL', get('GATEHOUSE_VOICE_TOKEN_TTL') ?? '3600', 60, 86400) },
    ...channelSettings(get, outboxEnabled),
    passkeys: passkeySettings(get),
    flexisip: flexisipSettings(get),
    requestTimeoutMs: integer('GATEHOUSE_REQUEST_TIMEOUT', get('GATEHOUSE_REQUEST_TIMEOUT') ?? '30', 1, 3600) * 1000,
    loginRate: {
      account: rate('GATEHOUSE_LOGIN_RATE_ACCOUNT', get('GATEHOUSE_LOGIN_RATE_ACCOUNT') ?? '10/600'),
      address: rate('GATEHOUSE_LOGIN_RATE_ADDRESS', get('GATEHOUSE_LOGIN_RATE_ADDRESS') ?? '100/600'),
    },
    sip: sipSettings(get),
    delivery: deliverySettings(get),
    retention: retentionSettings(get),
    otel: otelSettings(get),
    fraud: fraudSettings(get),
    webhooks: webhookSettings(get, cwd),
  };
}

function fraudSettings(get: Get): FraudConfig {
  return {
    enabled: boolean('GATEHOUSE_FRAUD_GUARD', get('GATEHOUSE_FRAUD_GUARD') ?? 'true'),
    minSends: integer('GATEHOUSE_FRAUD_MIN_SENDS', get('GATEHOUSE_FRAUD_MIN_SENDS') ?? '30', 1, 1_000_000),
    minConversionPercent: integer('GATEHOUSE_FRAUD_MIN_CONVERSION', get('GATEHOUSE_FRAUD_MIN_CONVERSION') ?? '20', 0, 100),
    windowMs: integer('GATEHOUSE_FRAUD_WINDOW', get('GATEHOUSE_FRAUD_WINDOW') ?? '3600', 60, 86400 * 7) * 1000,
    blockMs: integer('GATEHOUSE_FRAUD_BLOCK', get('GATEHOUSE_FRAUD_BLOCK') ?? '43200', 1, 86400 * 30) * 1000,
    prefixDigits: integer('GATEHOUSE_FRAUD_PREFIX_DIGITS', get('GATEHOUSE_FRAUD_PREFIX_DIGITS') ?? '3', 0, 6),
  };
}

function webhookSettings(get: Get, cwd: string): WebhookConfig {
  const ca = get('GATEHOUSE_WEBHOOKS_CA');
  const caPem = ca === undefined ? null : ca.startsWith('@') ? readFileOr('GATEHOUSE_WEBHOOKS_CA', path.resolve(cwd, ca.slice(1))) : ca;
  if (caPem !== null && !caPem.includes('-----BEGIN CERTIFICATE-----')) throw new ConfigError('GATEHOUSE_WEBHOOKS_CA', 'must be PEM certificates (-----BEGIN CERTIFICATE-----)');
  const retry = get('GATEHOUSE_WEBHOOKS_RETRY') ?? '5,300,1800,7200,18000,36000,36000';
  const delays = retry.split(',').map((d) => d.trim());
  if (delays.length > 20 || delays.some((d) => !/^\d{1,6}(\.\d{1,3})?$/.test(d))) {
    throw new ConfigError('GATEHOUSE_WEBHOOKS_RETRY', `must be up to 20 comma-separated seconds such as 5,300,1800, got "${retry}"`);
  }
  return {
    allowPrivate: boolean('GATEHOUSE_WEBHOOKS_ALLOW_PRIVATE', get('GATEHOUSE_WEBHOOKS_ALLOW_PRIVATE') ?? 'false'),
    caPem,
    timeoutMs: integer('GATEHOUSE_WEBHOOKS_TIMEOUT', get('GATEHOUSE_WEBHOOKS_TIMEOUT') ?? '10', 1, 120) * 1000,
    retryDelaysMs: delays.map((d) => Math.round(Number(d) * 1000)),
  };
}

/**
 * The relying party of passkeys is the public URL's host (its RP ID); a ceremony is accepted from its
 * origin and from the extra origins listed, which must be secure contexts on that host or below it
 * (WebAuthn refuses any other pairing in the browser anyway; refusing it here says so at start).
 */
function passkeySettings(get: Get): Config['passkeys'] {
  const publicUrl = get('GATEHOUSE_PUBLIC_URL');
  const extra = get('GATEHOUSE_PASSKEY_ORIGINS');
  if (!publicUrl) {
    if (extra) throw new ConfigError('GATEHOUSE_PASSKEY_ORIGINS', 'needs GATEHOUSE_PUBLIC_URL, whose host is the passkeys\' relying party ID');
    return null;
  }
  const base = new URL(httpUrl('GATEHOUSE_PUBLIC_URL', publicUrl));
  const rpId = base.hostname.toLowerCase();
  const origins = [base.origin.toLowerCase()];
  for (const item of (extra ?? '').split(',').map((o) => o.trim()).filter(Boolean)) {
    let url: URL;
    try {
      url = new URL(item);
    } catch {
      throw new ConfigError('GATEHOUSE_PASSKEY_ORIGINS', `${item} is not a valid origin`);
    }
    const host = url.hostname.toLowerCase();
    const secure = url.protocol === 'https:' || (url.protocol === 'http:' && host === 'localhost');
    if (!secure || url.origin.toLowerCase() !== item.toLowerCase().replace(/\/+$/, '')) {
      throw new ConfigError('GATEHOUSE_PASSKEY_ORIGINS', `${item} must be an origin (no path) over https://, or http://localhost`);
    }
    if (host !== rpId && !host.endsWith(`.${rpId}`)) throw new ConfigError('GATEHOUSE_PASSKEY_ORIGINS', `${item} is not on ${rpId}, the relying party ID`);
    if (!origins.includes(url.origin.toLowerCase())) origins.push(url.origin.toLowerCase());
  }
  return { rpId, rpName: get('GATEHOUSE_PASSKEY_RP_NAME') ?? 'Gatehouse', origins };
}

function otelSettings(get: Get): Config['otel'] {
  const endpoint = get('OTEL_EXPORTER_OTLP_ENDPOINT');
  if (endpoint === undefined) return null;
  return { endpoint: httpUrl('OTEL_EXPORTER_OTLP_ENDPOINT', endpoint).replace(/\/+$/, ''), serviceName: get('OTEL_SERVICE_NAME') ?? 'gatehouse' };
}

function sipSettings(get: Get): SipConfig {
  const proxyText = get('GATEHOUSE_SIP_PROXY');
  const proxy = proxyText === undefined ? null : parseSipProxy(proxyText);
  if (proxyText !== undefined && !proxy) throw new ConfigError('GATEHOUSE_SIP_PROXY', 'must be udp:host:port, such as udp:127.0.0.1:5060');
  const rpc = get('GATEHOUSE_REGISTRAR_RPC_URL');
  return { proxy, registrarRpcUrl: rpc === undefined ? null : httpUrl('GATEHOUSE_REGISTRAR_RPC_URL', rpc) };
}

function flexisipSettings(get: Get): FlexisipConfig {
  const domain = (variable: string) => {
    const v = get(variable)?.toLowerCase();
    if (v !== undefined && !/^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/.test(v)) throw new ConfigError(variable, 'must be a domain name such as sip.example.org');
    return v ?? null;
  };
  const realm = get('GATEHOUSE_SIP_REALM');
  if (realm !== undefined && /["\\\r\n]/.test(realm)) throw new ConfigError('GATEHOUSE_SIP_REALM', 'must not contain quotes, backslashes or line breaks');
  const webhook = get('GATEHOUSE_PUSH_WEBHOOK_URL');
  if (webhook !== undefined && !webhook.startsWith('https://') && !webhook.startsWith('http://')) {
    throw new ConfigError('GATEHOUSE_PUSH_WEBHOOK_URL', 'must be an https:// URL');
  }
  const secret = get('GATEHOUSE_REGISTRAR_SECRET');
  if (secret !== undefined && secret.length < 16) throw new ConfigError('GATEHOUSE_REGISTRAR_SECRET', 'must be at least 16 characters');
  return {
    realm: realm ?? null,
    defaultDomain: domain('GATEHOUSE_FLEXISIP_DOMAIN'),
    dangerousEndpoints: boolean('GATEHOUSE_FLEXISIP_DANGEROUS_ENDPOINTS', get('GATEHOUSE_FLEXISIP_DANGEROUS_ENDPOINTS') ?? 'false'),
    emailUnique: boolean('GATEHOUSE_FLEXISIP_EMAIL_UNIQUE', get('GATEHOUSE_FLEXISIP_EMAIL_UNIQUE') ?? 'false'),
    pushWebhookUrl: webhook ? httpUrl('GATEHOUSE_PUSH_WEBHOOK_URL', webhook) : null,
    registrarSecret: secret ?? null,
    blockingEvents: integer('GATEHOUSE_FLEXISIP_BLOCKING_EVENTS', get('GATEHOUSE_FLEXISIP_BLOCKING_EVENTS') ?? '5', 0, 9_999_999),
    blockingPeriodMs: integer('GATEHOUSE_FLEXISIP_BLOCKING_PERIOD', get('GATEHOUSE_FLEXISIP_BLOCKING_PERIOD') ?? '1800', 0, 9_999_999) * 1000,
    blacklistedUsernames: blacklist(get('GATEHOUSE_FLEXISIP_BLACKLISTED_USERNAMES')),
  };
}

/** Upstream's `app.blacklisted_usernames`: comma-separated; an entry is refused as itself and, as a regular expression, wherever it matches. */
function blacklist(value: string | undefined): (string | RegExp)[] {
  return (value ?? '').split(',').map((entry) => entry.trim()).filter(Boolean).flatMap((entry) => {
    try {
      return [entry, new RegExp(entry, 'u')];
    } catch {
      throw new ConfigError('GATEHOUSE_FLEXISIP_BLACKLISTED_USERNAMES', `"${entry}" is not a regular expression`);
    }
  });
}

function rate(variable: string, value: string): RateSetting {
  const m = /^(\d{1,6})\/(\d{1,6})$/.exec(value);
  if (!m || Number(m[1]) < 1 || Number(m[2]) < 1) throw new ConfigError(variable, `must be N/seconds such as 10/600, got "${value}"`);
  return { max: Number(m[1]), intervalMs: Number(m[2]) * 1000 };
}

type Get = (name: string) => string | undefined;

function deliverySettings(get: Get): DeliveryConfig {
  const backoffMs = integer('GATEHOUSE_DELIVERY_BACKOFF_MS', get('GATEHOUSE_DELIVERY_BACKOFF_MS') ?? '1000', 1, 3_600_000);
  const backoffMaxMs = integer('GATEHOUSE_DELIVERY_BACKOFF_MAX_MS', get('GATEHOUSE_DELIVERY_BACKOFF_MAX_MS') ?? '60000', 1, 86_400_000);
  if (backoffMaxMs < backoffMs) throw new ConfigError('GATEHOUSE_DELIVERY_BACKOFF_MAX_MS', 'must be at least GATEHOUSE_DELIVERY_BACKOFF_MS');
  return {
    attempts: integer('GATEHOUSE_DELIVERY_ATTEMPTS', get('GATEHOUSE_DELIVERY_ATTEMPTS') ?? '5', 1, 100),
    backoffMs,
    backoffMaxMs,
    leaseMs: integer('GATEHOUSE_DELIVERY_LEASE', get('GATEHOUSE_DELIVERY_LEASE') ?? '60', 1, 3600) * 1000,
    concurrency: integer('GATEHOUSE_DELIVERY_CONCURRENCY', get('GATEHOUSE_DELIVERY_CONCURRENCY') ?? '16', 1, 1000),
    pollMs: integer('GATEHOUSE_DELIVERY_POLL_MS', get('GATEHOUSE_DELIVERY_POLL_MS') ?? '1000', 10, 600_000),
    reportTimeoutMs: integer('GATEHOUSE_DELIVERY_REPORT_TIMEOUT', get('GATEHOUSE_DELIVERY_REPORT_TIMEOUT') ?? '120', 0, 86_400) * 1000,
  };
}

function channelSettings(get: Get, outboxEnabled: boolean): Pick<Config, 'publicUrl' | 'twilio' | 'smtp' | 'channels'> {
  const publicUrl = get('GATEHOUSE_PUBLIC_URL');
  const twilio = twilioSettings(get);
  const smtp = smtpSettings(get);
  const pick = (variable: string, allowed: ChannelProvider[], configured: ChannelProvider | null): ChannelProvider => {
    const named = get(variable);
    if (named === undefined) return configured ?? (outboxEnabled ? 'outbox' : 'none');
    const choice = oneOf(variable, named, allowed);
    if (choice === 'outbox' && !outboxEnabled) throw new ConfigError(variable, 'names the outbox, which GATEHOUSE_OUTBOX disables');
    if (choice !== 'outbox' && choice !== 'none' && choice !== configured) {
      throw new ConfigError(variable, `names ${choice}, which is not configured`);
    }
    return choice;
  };
  return {
    publicUrl: publicUrl ? httpUrl('GATEHOUSE_PUBLIC_URL', publicUrl).replace(/\/+$/, '') : null,
    twilio,
    smtp,
    channels: {
      sms: pick('GATEHOUSE_SMS_CHANNEL', ['twilio', 'outbox', 'none'], twilio && 'twilio'),
      call: pick('GATEHOUSE_CALL_CHANNEL', ['twilio', 'outbox', 'none'], twilio && 'twilio'),
      email: pick('GATEHOUSE_EMAIL_CHANNEL', ['smtp', 'outbox', 'none'], smtp && 'smtp'),
    },
  };
}

function twilioSettings(get: Get): TwilioConfig | null {
  const accountSid = get('TWILIO_ACCOUNT_SID');
  const authToken = get('TWILIO_AUTH_TOKEN');
  const keySid = get('TWILIO_API_KEY_SID');
  const keySecret = get('TWILIO_API_KEY_SECRET');
  const from = get('TWILIO_FROM');
  const service = get('TWILIO_MESSAGING_SERVICE_SID');
  const twimlAppSid = get('TWILIO_TWIML_APP_SID');
  const anySet = [accountSid, authToken, keySid, keySecret, from, service, twimlAppSid, get('TWILIO_BASE_URL')].some((v) => v !== undefined);
  if (!anySet) return null;
  if (!accountSid) throw new ConfigError('TWILIO_ACCOUNT_SID', 'is needed by the other TWILIO_* settings');
  if (!/^AC[0-9a-fA-F]{32}$/.test(accountSid)) throw new ConfigError('TWILIO_ACCOUNT_SID', 'must be AC followed by 32 hex digits');
  if (Boolean(keySid) !== Boolean(keySecret)) {
    throw new ConfigError(keySid ? 'TWILIO_API_KEY_SECRET' : 'TWILIO_API_KEY_SID', 'an API key needs both TWILIO_API_KEY_SID and TWILIO_API_KEY_SECRET');
  }
  if (keySid && !/^SK[0-9a-fA-F]{32}$/.test(keySid)) throw new ConfigError('TWILIO_API_KEY_SID', 'must be SK followed by 32 hex digits');
  if (!authToken && !keySid) throw new ConfigError('TWILIO_AUTH_TOKEN', 'is needed (or TWILIO_API_KEY_SID and TWILIO_API_KEY_SECRET)');
  if (from && !isSmsSender(from)) {
    throw new ConfigError('TWILIO_FROM', 'must be an E.164 number such as +15551234567 or an alphanumeric sender ID of up to 11 characters');
  }
  if (service && !/^MG[0-9a-fA-F]{32}$/.test(service)) throw new ConfigError('TWILIO_MESSAGING_SERVICE_SID', 'must be MG followed by 32 hex digits');
  if (twimlAppSid && !/^AP[0-9a-fA-F]{32}$/.test(twimlAppSid)) throw new ConfigError('TWILIO_TWIML_APP_SID', 'must be AP followed by 32 hex digits');
  return {
    baseUrl: httpUrl('TWILIO_BASE_URL', get('TWILIO_BASE_URL') ?? 'https://api.twilio.com').replace(/\/+$/, ''),
    accountSid,
    username: keySid ?? accountSid,
    password: keySecret ?? authToken ?? '',
    authToken: authToken ?? null,
    apiKey: keySid && keySecret ? { sid: keySid, secret: keySecret } : null,
    twimlAppSid: twimlAppSid ?? null,
    from: from ?? null,
    messagingServiceSid: service ?? null,
    timeoutMs: integer('TWILIO_TIMEOUT', get('TWILIO_TIMEOUT') ?? '10', 1, 120) * 1000,
  };
}

function smtpSettings(get: Get): SmtpConfig | null {
  const url = get('SMTP_URL');
  const from = get('SMTP_FROM');
  if (!url) {
    for (const name of ['SMTP_FROM', 'SMTP_REQUIRE_TLS', 'SMTP_TLS_REJECT_UNAUTHORIZED', 'SMTP_TIMEOUT']) {
      if (get(name) !== undefined) throw new ConfigError('SMTP_URL', `is needed by ${name}`);
    }
    return null;
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError('SMTP_URL', 'is not a valid URL');
  }
  if (!['smtp:', 'smtps:'].includes(parsed.protocol) || !parsed.hostname) {
    throw new ConfigError('SMTP_URL', 'must be smtp://user:pass@host:port or smtps://user:pass@host:port');
  }
  if (from && (/[\r\n]/.test(from) || !/^[^@\s<>]+@[^@\s<>]+$|^[^<>\r\n]*<[^@\s<>]+@[^@\s<>]+>$/.test(from))) {
    throw new ConfigError('SMTP_FROM', 'must be an address such as codes@example.com or "Name <codes@example.com>"');
  }
  return {
    url,
    from: from ?? null,
    rejectUnauthorized: boolean('SMTP_TLS_REJECT_UNAUTHORIZED', get('SMTP_TLS_REJECT_UNAUTHORIZED') ?? 'true'),
    requireTls: boolean('SMTP_REQUIRE_TLS', get('SMTP_REQUIRE_TLS') ?? 'false'),
    timeoutMs: integer('SMTP_TIMEOUT', get('SMTP_TIMEOUT') ?? '10', 1, 120) * 1000,
  };
}

function httpUrl(variable: string, value: string): string {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new ConfigError(variable, 'is not a valid URL');
  }
  if (!['http:', 'https:'].includes(parsed.protocol) || parsed.username || parsed.password || parsed.search || parsed.hash) {
    throw new ConfigError(variable, 'must be an http:// or https:// URL without credentials, query or fragment');
  }
  return value;
}

function withConfigFile(env: Env): Env {
  const file = env.GATEHOUSE_CONFIG;
  if (!file) return env;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError('GATEHOUSE_CONFIG', `cannot read ${file} as JSON (${(err as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError('GATEHOUSE_CONFIG', 'the file must hold a JSON object of settings');
  }
  const known = new Set(SETTINGS.map(([name]) => name));
  const fromFile: Env = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (!known.has(key) && !key.startsWith('TWILIO_') && !key.startsWith('SMTP_')) {
      throw new ConfigError(key, `unknown setting in ${file}`);
    }
    fromFile[key] = String(value);
  }
  return { ...fromFile, ...env };
}

export function parseDatabaseUrl(value: string, cwd = process.cwd()): DatabaseConfig {
  if (value.startsWith('postgres://') || value.startsWith('postgresql://')) {
    try {
      new URL(value);
    } catch {
      throw new ConfigError('DATABASE_URL', 'is not a valid postgres:// URL');
    }
    return { dialect: 'postgres', url: value };
  }
  if (value.startsWith('sqlite:')) {
    const file = value.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (!file) throw new ConfigError('DATABASE_URL', 'sqlite: needs a file path, e.g. sqlite:./data/gatehouse.db');
    return { dialect: 'sqlite', file: file === ':memory:' ? file : path.resolve(cwd, file) };
  }
  throw new ConfigError('DATABASE_URL', 'must be sqlite:<file> or postgres://…');
}

function parseMasterKeys(current: string | undefined, previous: string | undefined): Config['masterKey'] {
  if (!current) {
    if (previous) throw new ConfigError('GATEHOUSE_PREVIOUS_MASTER_KEYS', 'needs GATEHOUSE_MASTER_KEY as well');
    return null;
  }
  return {
    current: checkKey('GATEHOUSE_MASTER_KEY', current),
    previous: (previous ?? '')
      .split(',')
      .map((k) => k.trim())
      .filter(Boolean)
      .map((k) => checkKey('GATEHOUSE_PREVIOUS_MASTER_KEYS', k)),
  };
}

/** A master key is 32 bytes given as 64 hex digits or base64; returned as base64. */
export function decodeKey(value: string): Buffer | null {
  if (/^[0-9a-fA-F]{64}$/.test(value)) return Buffer.from(value, 'hex');
  const b = Buffer.from(value, 'base64');
  return b.length === 32 && /^[A-Za-z0-9+/_-]+=*$/.test(value) ? b : null;
}

function checkKey(variable: string, value: string): string {
  const key = decodeKey(value);
  if (!key) throw new ConfigError(variable, 'must be 32 bytes as 64 hex digits or base64');
  return key.toString('base64');
}

function readPem(variable: string, value: string, cwd: string): string {
  const text = value.startsWith('@') ? readFileOr(variable, path.resolve(cwd, value.slice(1))) : value;
  if (!text.includes('-----BEGIN PUBLIC KEY-----')) throw new ConfigError(variable, 'must be a PEM public key (SPKI)');
  return text;
}

function readFileOr(variable: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    throw new ConfigError(variable, `cannot read ${file}`);
  }
}

function retentionSettings(get: Get): Config['retention'] {
  const days = (name: string, fallback: string) => integer(name, get(name) ?? fallback, 0, 36_500);
  return {
    days: {
      verifications: days('GATEHOUSE_RETENTION_VERIFICATIONS', '400'),
      deliveries: days('GATEHOUSE_RETENTION_DELIVERIES', '30'),
      loginAudit: days('GATEHOUSE_RETENTION_LOGIN_AUDIT', '400'),
      adminAudit: days('GATEHOUSE_RETENTION_ADMIN_AUDIT', '400'),
      calls: days('GATEHOUSE_RETENTION_CALLS', '400'),
      sipStatistics: days('GATEHOUSE_RETENTION_SIP_STATISTICS', '400'),
      outbox: days('GATEHOUSE_RETENTION_OUTBOX', '7'),
    },
    intervalMs: integer('GATEHOUSE_RETENTION_INTERVAL', get('GATEHOUSE_RETENTION_INTERVAL') ?? '60', 0, 86_400) * 1000,
  };
}

function integer(variable: string, value: string, min: number, max: number): number {
  if (!/^\d+$/.test(value)) throw new ConfigError(variable, `must be a whole number, got "${value}"`);
  const n = Number(value);
  if (n < min || n > max) throw new ConfigError(variable, `must be between ${min} and ${max}, got ${n}`);
  return n;
}

function boolean(variable: string, value: string): boolean {
  if (['true', '1', 'yes', 'on'].includes(value.toLowerCase())) return true;
  if (['false', '0', 'no', 'off'].includes(value.toLowerCase())) return false;
  throw new ConfigError(variable, `must be true or false, got "${value}"`);
}

function oneOf<T extends string>(variable: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new ConfigError(variable, `must be one of ${allowed.join(', ')}, got "${value}"`);
}
