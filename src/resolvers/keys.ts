import type { Role } from '../auth.js';
import type { Context } from '../context.js';
import { InvalidArgumentError } from '../errors.js';
import { createApiKey } from '../services/keys.js';

export async function createKey(_root: unknown, args: { name: string; role: Role }, ctx: Context) {
  const name = args.name.trim();
  if (!name || name.length > 100) throw new InvalidArgumentError('name', 'name must be 1 to 100 characters');
  const { secret, key } = await createApiKey(ctx.app, name, args.role);
  return { secret, id: key.id, name: key.name, role: key.role };
}
