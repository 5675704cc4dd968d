// The API keys of `npm start`: those of SKALD_API_KEYS / SKALD_API_KEYS_FILE when given (an admin
// key among them makes the demo's own calls), else two generated for this run: `demo` (admin,
// printed for your curl calls) and `demo-banks` (read, for the banks' in-doubt questions).
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseApiKeys } from '../apps/orchestrator/src/auth/api-keys';

export interface DemoKeys {
  /** The admin secret the demo calls with and prints. */
  admin: string;
  /** A secret with the read scope (or admin) for the demo banks (SKALD_API_KEY). */
  banks: string;
  /** SKALD_API_KEYS for the orchestrator when the keys were generated; else the given ones stand. */
  env: NodeJS.ProcessEnv;
  generated: boolean;
}

export function demoKeys(env: NodeJS.ProcessEnv): DemoKeys {
  if (!env.SKALD_API_KEYS && !env.SKALD_API_KEYS_FILE) {
    const admin = `demo-${randomBytes(24).toString('hex')}`;
    const banks = `demo-banks-${randomBytes(24).toString('hex')}`;
    return {
      admin,
      banks,
      env: { SKALD_API_KEYS: `demo:admin:${admin},demo-banks:read:${banks}` },
      generated: true,
    };
  }
  const path = env.SKALD_API_KEYS_FILE;
  const file = path ? { path, text: readFileSync(path, 'utf8') } : undefined;
  const { entries, problems } = parseApiKeys({ env: env.SKALD_API_KEYS, file });
  if (problems.length > 0) throw new Error(`npm start: ${problems.join('; ')}`);
  const admin = entries.find((e) => e.scopes.includes('admin'));
  if (!admin)
    throw new Error(
      'npm start: the API keys you gave have no admin key for the demo’s own calls; add one (name:admin:secret)',
    );
  const reader = entries.find((e) => e.scopes.includes('read')) ?? admin;
  return { admin: admin.secret, banks: reader.secret, env: {}, generated: false };
}
