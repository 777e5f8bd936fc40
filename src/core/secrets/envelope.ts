/**
 * AES-256-GCM envelopes: "gh1:<kid>:<iv>:<ciphertext>:<tag>" (base64url parts). The context string
 * (e.g. "totp:42") is bound as additional data, so an envelope copied to another row fails to open.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Keyring } from './keyring.js';

/** A sealed secret names a master key this process does not have: the key file or GATEHOUSE_MASTER_KEY changed. */
export class MasterKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MasterKeyError';
  }
}

export interface Sealer {
  seal(plaintext: string, context: string): string;
  open(envelope: string, context: string): string;
  /** The key id an envelope was sealed with. */
  kidOf(envelope: string): string;
  currentKid(): string;
}

export function createSealer(keyring: Keyring): Sealer {
  return {
    currentKid: () => keyring.currentKid(),
    kidOf: (envelope) => parse(envelope).kid,
    seal(plaintext, context) {
      const kid = keyring.currentKid();
      const key = keyring.key(kid);
      if (!key) throw new Error(`master key ${kid} missing`);
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(context));
      const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return ['gh1', kid, iv.toString('base64url'), ct.toString('base64url'), cipher.getAuthTag().toString('base64url')].join(':');
    },
    open(envelope, context) {
      const { kid, iv, ct, tag } = parse(envelope);
      const key = keyring.key(kid);
      if (!key) {
        throw new MasterKeyError(
          `the database holds secrets sealed with master key ${kid}, which this server does not have: was the key file or GATEHOUSE_MASTER_KEY changed? (an old key goes in GATEHOUSE_PREVIOUS_MASTER_KEYS)`,
        );
      }
      const decipher = createDecipheriv('aes-256-gcm', key, iv);
      decipher.setAAD(Buffer.from(context));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(ct), decipher.final()]).toString('utf8');
    },
  };
}

function parse(envelope: string) {
  const parts = envelope.split(':');
  if (parts.length !== 5 || parts[0] !== 'gh1') throw new Error('not a Gatehouse secret envelope');
  return {
    kid: parts[1]!,
    iv: Buffer.from(parts[2]!, 'base64url'),
    ct: Buffer.from(parts[3]!, 'base64url'),
    tag: Buffer.from(parts[4]!, 'base64url'),
  };
}
