// Keyset pagination newest-first over (createdAt, id), or by a numeric column first (explanations by
// deletion AUC): stable under inserts, no OFFSET scans.
import { resolveCursorConnection, type ResolveCursorConnectionArgs } from '@pothos/plugin-relay';
import { GraphQLError } from 'graphql';
import type { PageQuery } from '../services/queries.js';

interface Row {
  id: string;
  createdAt: Date;
}

export interface PageArgs {
  first?: number | null;
  last?: number | null;
  before?: string | null;
  after?: string | null;
}

/** A numeric column to order by first (rows where it is null are left out); ties newest first. */
export interface SortKey {
  field: string;
  direction: 'asc' | 'desc';
}

type Fetch<T> = (q: PageQuery) => Promise<T[]>;

/** A cursor is the row's order key: [sort value,] createdAt and id. */
type Key = [number, Date, string] | [Date, string];

const keyOf = (r: Row, sort: SortKey | null): Key => (sort ? [(r as unknown as Record<string, number>)[sort.field], r.createdAt, r.id] : [r.createdAt, r.id]);

const encode = (k: Key) => Buffer.from(k.map((v) => (v instanceof Date ? v.toISOString() : String(v))).join('|')).toString('base64url');

function decode(c: string, sort: SortKey | null): Key {
  const parts = Buffer.from(c, 'base64url').toString().split('|');
  const invalid = () => new GraphQLError(`invalid cursor: ${c}`, { extensions: { code: 'BAD_USER_INPUT' } });
  if (parts.length !== (sort ? 3 : 2)) throw invalid();
  const [iso, id] = parts.slice(-2);
  const createdAt = new Date(iso ?? '');
  if (!id || Number.isNaN(createdAt.getTime())) throw invalid();
  if (!sort) return [createdAt, id];
  const value = Number(parts[0]);
  if (parts[0] === '' || !Number.isFinite(value)) throw invalid();
  return [value, createdAt, id];
}

/** Rows strictly beyond `key` in lexicographic order of `fields` ('lt' below, 'gt' above). */
function beyond(fields: string[], key: Key, op: 'lt' | 'gt') {
  return {
    OR: fields.map((f, i) => ({
      ...Object.fromEntries(fields.slice(0, i).map((g, j) => [g, key[j]])),
      [f]: { [op]: key[i] },
    })),
  };
}

/**
 * Keyset pages in (sort value,) createdAt, id order: newest first by default, or by `sort` with ties
 * newest first when descending, oldest first when ascending.
 */
export function keysetConnection<T extends Row>(args: PageArgs, filter: object, fetch: Fetch<T>, sort: SortKey | null = null) {
  const fields = sort ? [sort.field, 'createdAt', 'id'] : ['createdAt', 'id'];
  const forward = sort?.direction ?? 'desc';
  const toCursor = (r: T) => encode(keyOf(r, sort));
  return resolveCursorConnection({ args, toCursor, defaultSize: 20, maxSize: 100 }, ({ before, after, limit, inverted }: ResolveCursorConnectionArgs) => {
    const and: object[] = [filter];
    if (sort) and.push({ [sort.field]: { not: null } });
    // "after" continues in the page direction, "before" goes back against it.
    if (after) and.push(beyond(fields, decode(after, sort), forward === 'desc' ? 'lt' : 'gt'));
    if (before) and.push(beyond(fields, decode(before, sort), forward === 'desc' ? 'gt' : 'lt'));
    const dir = inverted ? (forward === 'desc' ? 'asc' : 'desc') : forward;
    return fetch({ where: { AND: and }, orderBy: fields.map((f) => ({ [f]: dir })), take: limit });
  });
}
