// Keyset pagination newest-first over (createdAt, id): stable under inserts, no OFFSET scans.
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

type Fetch<T> = (q: PageQuery) => Promise<T[]>;

const toCursor = (r: Row) => Buffer.from(`${r.createdAt.toISOString()}|${r.id}`).toString('base64url');

function parseCursor(c: string): { createdAt: Date; id: string } {
  const [iso, id] = Buffer.from(c, 'base64url').toString().split('|');
  const createdAt = new Date(iso ?? '');
  if (!id || Number.isNaN(createdAt.getTime())) throw new GraphQLError(`invalid cursor: ${c}`, { extensions: { code: 'BAD_USER_INPUT' } });
  return { createdAt, id };
}

function older(c: string) {
  const { createdAt, id } = parseCursor(c);
  return { OR: [{ createdAt: { lt: createdAt } }, { createdAt, id: { lt: id } }] };
}

function newer(c: string) {
  const { createdAt, id } = parseCursor(c);
  return { OR: [{ createdAt: { gt: createdAt } }, { createdAt, id: { gt: id } }] };
}

export function keysetConnection<T extends Row>(args: PageArgs, filter: object, fetch: Fetch<T>) {
  return resolveCursorConnection({ args, toCursor, defaultSize: 20, maxSize: 100 }, ({ before, after, limit, inverted }: ResolveCursorConnectionArgs) => {
    const and: object[] = [filter];
    if (after) and.push(older(after));
    if (before) and.push(newer(before));
    const dir = inverted ? 'asc' : 'desc';
    return fetch({ where: { AND: and }, orderBy: [{ createdAt: dir }, { id: dir }], take: limit });
  });
}
