// Relay global ids that fail to decode, or name another type than the argument takes, are argument
// errors like any other: InvalidArgumentError naming the argument ("input.image", "ids.1"), with a
// short message that shows at most the start of the id. Pothos' own errors echo the whole id (a 2 MB id
// gave a 2 MB response) untyped; here they become the mutation's InvalidArgumentError member, and in
// queries and subscriptions a GraphQL error with code INVALID_ARGUMENT (see maskError in the server).
import SchemaBuilder, { BasePlugin, PothosValidationError, type PothosOutputFieldConfig, type SchemaTypes } from '@pothos/core';
import { GraphQLError, type GraphQLFieldResolver } from 'graphql';
import { InvalidArgumentError, preview } from '../errors.js';

/** Longer ids are refused without decoding; ours are well under 100 characters. */
const MAX_ID_LENGTH = 512;
const TYPENAME = /^[A-Z_a-z]\w*$/;
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

/** Thrown while decoding; the plugin below adds which argument held the id. */
class MalformedGlobalId extends Error {
  constructor(readonly raw: string) {
    super('malformed global id');
  }
}

/** A strict decoder for the Relay plugin: `base64("Typename:id")`, nothing else. */
export function decodeGlobalID(raw: string): { typename: string; id: string } {
  if (typeof raw !== 'string' || raw.length > MAX_ID_LENGTH || !BASE64.test(raw)) throw new MalformedGlobalId(String(raw));
  const text = Buffer.from(raw, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  const typename = text.slice(0, colon);
  const id = text.slice(colon + 1);
  if (colon < 1 || !id || !TYPENAME.test(typename)) throw new MalformedGlobalId(raw);
  return { typename, id };
}

/** Where in the arguments a value sits: "id", "input.image", "ids.1". */
function locate(value: unknown, raw: string, path: string[] = []): string | null {
  if (value === raw) return path.join('.');
  if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const found = locate(v, raw, [...path, k]);
      if (found !== null) return found;
    }
  }
  return null;
}

const article = (typename: string) => `${/^[AEIOU]/.test(typename) ? 'an' : 'a'} ${typename}`;

const WRONG_TYPE = /^ID: ([\s\S]*) is not of type: ([\s\S]*)$/;

function toArgumentError(e: unknown, args: object): unknown {
  if (e instanceof MalformedGlobalId) {
    const field = locate(args, e.raw) ?? 'id';
    return new InvalidArgumentError(field, `${field} is not a valid global ID: ${preview(e.raw)}`);
  }
  if (!(e instanceof PothosValidationError)) return e;
  const m = WRONG_TYPE.exec(e.message);
  if (m) {
    const field = locate(args, m[1]) ?? 'id';
    const actual = decodeGlobalID(m[1]).typename;
    return new InvalidArgumentError(field, `${field} is ${article(actual)} ID; expected ${article(m[2].slice(0, 100))} ID`);
  }
  return new InvalidArgumentError('input', e.message.slice(0, 300));
}

declare global {
  export namespace PothosSchemaTypes {
    interface Plugins<Types extends SchemaTypes> {
      argumentErrors: ArgumentErrorsPlugin<Types>;
    }
  }
}

/** Turns id and argument validation failures into InvalidArgumentError; listed after the errors plugin
 *  (with `unsafelyHandleInputErrors`) so that those become a mutation's union member. */
export class ArgumentErrorsPlugin<Types extends SchemaTypes> extends BasePlugin<Types> {
  override wrapArgMappers(
    resolver: GraphQLFieldResolver<unknown, Types['Context'], object> | undefined,
    config: PothosOutputFieldConfig<Types>,
  ): GraphQLFieldResolver<unknown, Types['Context'], object> | undefined {
    // Only fields whose arguments are mapped (global ids) can fail this way.
    if (!resolver || !config.argMappers.length) return resolver;
    // A field with an InvalidArgumentError union member gets it (the errors plugin wraps it); any other
    // field a GraphQL error with the code, as an expected failure (not logged, not masked).
    const inUnion = ((config.extensions?.pothosErrors as unknown[] | undefined) ?? []).includes(InvalidArgumentError);
    const argumentError = (e: unknown, args: object) => {
      const err = toArgumentError(e, args);
      if (inUnion || !(err instanceof InvalidArgumentError)) return err;
      return new GraphQLError(err.message, { extensions: { code: err.code, field: err.field, http: { status: 400 } } });
    };
    return (parent, args, ctx, info) => {
      try {
        const r = resolver(parent, args, ctx, info);
        return r instanceof Promise ? r.catch((e: unknown) => Promise.reject(argumentError(e, args))) : r;
      } catch (e) {
        throw argumentError(e, args);
      }
    };
  }
}

SchemaBuilder.registerPlugin('argumentErrors', ArgumentErrorsPlugin);
