/**
 * Who may do what with voice, in one table: role × capability. Every voice function asks `mayVoice`
 * and nothing else, so this table folds into the core's role × capability table in one move.
 * Reach (which tenants) is checked separately with `reaches`: this table says only which roles.
 */
import type { Caller } from '../callers.js';
import { forbidden } from '../errors.js';

export type VoiceCapability = 'voice.token' | 'voice.lines.read' | 'voice.lines.manage' | 'voice.numbers.read' | 'voice.numbers.assign' | 'voice.records.read' | 'voice.account.manage';

type Role = Caller['role'];

export const VOICE_ACCESS: Record<VoiceCapability, readonly Role[]> = {
  // A token's identity is the caller's account: only people who take calls get one.
  'voice.token': ['agent', 'superagent'],
  'voice.lines.read': ['admin', 'tenant', 'superagent', 'agent'],
  'voice.lines.manage': ['admin', 'tenant', 'superagent'],
  'voice.numbers.read': ['admin', 'tenant', 'superagent'],
  'voice.numbers.assign': ['admin'],
  'voice.records.read': ['admin', 'tenant', 'superagent'],
  'voice.account.manage': ['admin', 'tenant'],
};

export function mayVoice(caller: Caller, capability: VoiceCapability): boolean {
  return VOICE_ACCESS[capability].includes(caller.role);
}

export function assertMayVoice(caller: Caller, capability: VoiceCapability): void {
  if (!mayVoice(caller, capability)) throw forbidden(`the ${caller.role} role may not use ${capability}`);
}
