/** Login passwords: argon2id with OWASP's minimum parameters (19 MiB, 2 passes), off the event loop. */
import { Algorithm, hash, verify } from '@node-rs/argon2';

const OPTIONS = { algorithm: Algorithm.Argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

export const hashPassword = (password: string) => hash(password, OPTIONS);

/** A fixed hash to verify against when the account does not exist, so timing does not tell. */
let decoy: Promise<string> | undefined;

export async function verifyPassword(hashed: string | null, password: string): Promise<boolean> {
  if (!hashed) {
    decoy ??= hashPassword('gatehouse-decoy-password');
    await verify(await decoy, password).catch(() => false);
    return false;
  }
  return verify(hashed, password).catch(() => false);
}
