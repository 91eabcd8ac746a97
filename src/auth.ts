// API keys with roles. Secrets are shown once at creation; only their SHA-256 is stored.
import { createHash, randomBytes } from 'node:crypto';

export const ROLES = ['VIEWER', 'RESEARCHER', 'ADMIN'] as const;
export type Role = (typeof ROLES)[number];

const RANK: Record<Role, number> = { VIEWER: 1, RESEARCHER: 2, ADMIN: 3 };

export interface Principal {
  role: Role;
  /** Null when the request is served by open (no-auth, localhost-only) mode. */
  keyId: string | null;
  name: string;
}

/** The identity recorded as creator in open mode, where there are no keys: one local user. */
export const LOCAL_IDENTITY = 'local';

/** Who a principal is for ownership and quotas: its API key id, or LOCAL_IDENTITY in open mode. */
export function identityOf(principal: Principal): string {
  return principal.keyId ?? LOCAL_IDENTITY;
}

export function hasRole(principal: Principal | null, needed: Role): boolean {
  return principal !== null && RANK[principal.role] >= RANK[needed];
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function newSecret(): string {
  return `xai_${randomBytes(24).toString('base64url')}`;
}

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/** Extracts the key from `Authorization: Bearer <key>`; undefined when absent, null when malformed. */
export function bearerToken(header: string | null | undefined): string | undefined | null {
  if (!header) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m ? m[1] : null;
}
