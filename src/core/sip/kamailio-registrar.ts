/**
 * Gatehouse's hand on Kamailio's location table, through its JSON-RPC over HTTP (module jsonrpcs):
 * removing a device drops the binding whose +sip.instance is the device's uuid (or, for a client
 * that sends none, whose contact URI hashes to it, as the configuration in sip/kamailio reports it).
 */
import { createHash } from 'node:crypto';
import { CommonErrors, GatehouseError } from '../errors.js';
import type { RegistrarControl } from '../flexisip/devices.js';

const unavailable = (message: string) => new GatehouseError(CommonErrors.unavailable, message);

interface RpcAnswer {
  result?: unknown;
  error?: { code: number; message: string };
}

interface Binding {
  Address?: string;
  Instance?: string;
}

/** `<urn:uuid:X>`, `"<urn:uuid:X>"` or `X`: the bare X the registrar reports as the device's uuid. */
export const bareInstance = (value: string) => value.replace(/^"|"$/g, '').replace(/^<|>$/g, '').replace(/^urn:uuid:/i, '');

export function kamailioRegistrar(rpcUrl: string, timeoutMs = 3000): RegistrarControl {
  let id = 0;
  async function rpc(method: string, params: unknown[]): Promise<RpcAnswer> {
    const res = await fetch(rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', method, params, id: ++id }),
      signal: AbortSignal.timeout(timeoutMs),
    }).catch((err: Error) => {
      throw unavailable(`registrar RPC ${method}: ${err.name === 'TimeoutError' ? 'timed out' : 'unreachable'}`);
    });
    if (!res.ok) throw unavailable(`registrar RPC ${method}: HTTP ${res.status}`);
    return (await res.json()) as RpcAnswer;
  }

  return {
    async remove(aor: string, uuid: string): Promise<void> {
      // The location table keys an address as user@domain (usrloc use_domain), without the scheme.
      const key = aor.replace(/^sips?:/, '');
      const found = await rpc('ul.lookup', ['location', key]);
      if (found.error) {
        // No binding left for this address: nothing to drop.
        if (/not found/i.test(found.error.message)) return;
        throw unavailable(`registrar RPC ul.lookup: ${found.error.code} ${found.error.message}`);
      }
      const contacts = ((found.result as { Contacts?: { Contact: Binding }[] } | undefined)?.Contacts ?? []).map((c) => c.Contact);
      const md5 = (text: string) => createHash('md5').update(text).digest('hex');
      for (const c of contacts) {
        if (!c.Address) continue;
        const matches = c.Instance ? bareInstance(c.Instance) === uuid : md5(c.Address) === uuid;
        if (!matches) continue;
        const removed = await rpc('ul.rm_contact', ['location', key, c.Address]);
        if (removed.error && !/not found/i.test(removed.error.message)) throw unavailable(`registrar RPC ul.rm_contact: ${removed.error.code} ${removed.error.message}`);
      }
    },
  };
}
