// Authentication of API keys (HTTP Authorization header or websocket connectionParams).
import type { App } from '../app.js';
import { bearerToken, hashSecret, isRole, newSecret, type Principal, type Role } from '../auth.js';

export class AuthenticationError extends Error {}

/** Everyone in open mode: one local admin. */
export const OPEN_PRINCIPAL: Principal = { role: 'ADMIN', keyId: null, name: 'local (open mode)' };

export async function authenticate(app: App, authorization: string | null | undefined): Promise<Principal> {
  const token = bearerToken(authorization);
  if (token === null) throw new AuthenticationError('malformed Authorization header: expected "Bearer <API key>"');
  if (token === undefined) {
    if (app.config.auth === 'open') return OPEN_PRINCIPAL;
    throw new AuthenticationError('missing API key: send "Authorization: Bearer <API key>"');
  }
  // A presented key is always checked, even in open mode, so a typo never silently works.
  const key = await app.prisma.apiKey.findUnique({ where: { keyHash: hashSecret(token) } });
  if (!key || key.revokedAt || !isRole(key.role)) throw new AuthenticationError('invalid or revoked API key');
  return { role: key.role, keyId: key.id, name: key.name };
}

export async function createApiKey(app: App, name: string, role: Role, secret = newSecret()) {
  const key = await app.prisma.apiKey.create({
    data: { name, role, keyHash: hashSecret(secret), prefix: secret.slice(0, 8) },
  });
  return { secret, key };
}

/** Makes sure the configured bootstrap admin secret is a valid key (idempotent across restarts). */
export async function ensureAdminKey(app: App, secret: string): Promise<void> {
  const existing = await app.prisma.apiKey.findUnique({ where: { keyHash: hashSecret(secret) } });
  if (!existing) await createApiKey(app, 'bootstrap admin (XAI_ADMIN_KEY)', 'ADMIN', secret);
}
