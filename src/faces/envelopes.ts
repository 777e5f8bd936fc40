/**
 * The envelope of a request that no route took — no such path, or a URL the router could not read —
 * chosen by its path, so that even these answers stay in the face the caller was talking to. A face
 * that serves new paths adds its prefixes here; the first matching prefix wins.
 */
import type { GatehouseError } from '../core/errors.js';
import { comm100Envelope } from './comm100/envelope.js';
import { flexisipEnvelope } from './flexisip/envelope.js';
import type { Envelope } from './http/errors.js';
import { plainEnvelope } from './http/plain-envelope.js';
import { smart2faEnvelope } from './smart2fa/envelope.js';

const BY_PREFIX: ReadonlyArray<readonly [string, (error: GatehouseError) => Envelope]> = [
  // Comm100 v1 paths inside Smart 2FA's /2fa/.
  ['/2fa/secretkey', comm100Envelope],
  ['/2fa/code', comm100Envelope],
  ['/2fa/', (error) => smart2faEnvelope(error)],
  ['/global/', comm100Envelope],
  ['/globalapi/', comm100Envelope],
  ['/partnerglobal/', comm100Envelope],
  ['/partnerglobalapi/', comm100Envelope],
  ['/loginapi/', comm100Envelope],
  ['/partnerloginapi/', comm100Envelope],
  ['/voicetwilio/', comm100Envelope],
  ['/voiceconfig/', comm100Envelope],
  ['/api/', flexisipEnvelope],
  // The Flexisip vCard URLs live outside /api.
  ['/contacts/', flexisipEnvelope],
];

export function envelopeForPath(path: string): (error: GatehouseError) => Envelope {
  return BY_PREFIX.find(([prefix]) => path.startsWith(prefix))?.[1] ?? plainEnvelope;
}
