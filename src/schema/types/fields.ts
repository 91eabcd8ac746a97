// Shapes that recur across the schema: a row looked up by its global id, a mutation whose one
// argument is an input object and whose result is the union of its payload and typed errors, and an
// enum documented value by value.
import type { EnumRef, InputObjectRef, ObjectRef, SchemaTypes } from '@pothos/core';
import type { App } from '../../app.js';
import type { Context } from '../../context.js';
import { builder } from '../builder.js';

export type Types = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T> ? T : SchemaTypes;
type QueryFields = Parameters<Parameters<typeof builder.queryFields>[0]>[0];
type MutationFields = Parameters<Parameters<typeof builder.mutationFields>[0]>[0];
type ErrorClass = new (...args: never[]) => Error;

/** `name(id: ID!): Type`: the row, or null when there is none (a malformed id is a GraphQL error). */
export function byIdQuery<Row>(t: QueryFields, ref: ObjectRef<Types, Row>, find: (app: App, id: string) => Promise<Row | null>) {
  return t.field({
    type: ref as ObjectRef<Types, unknown>,
    nullable: true,
    args: { id: t.arg.globalID({ for: ref, required: true }) },
    resolve: (_r, { id }, ctx) => find(ctx.app, id.id),
  });
}

/** `name(input: Input!): NameResult`, the union of NameSuccess and the given error types. */
export function inputMutation<Row, Input>(
  t: MutationFields,
  spec: {
    type: ObjectRef<Types, Row>;
    input: InputObjectRef<Types, Input>;
    errors: ErrorClass[];
    description?: string;
    /** Beyond the researcher role every mutation needs. */
    adminOnly?: boolean;
    resolve: (root: unknown, args: { input: Input }, ctx: Context) => Promise<Row>;
  },
) {
  return t.field({
    type: spec.type as ObjectRef<Types, unknown>,
    description: spec.description,
    ...(spec.adminOnly ? { authScopes: { admin: true } } : {}),
    errors: { types: spec.errors },
    args: { input: t.arg({ type: spec.input, required: true }) },
    resolve: (root, args, ctx) => spec.resolve(root, args as { input: Input }, ctx),
  });
}

/**
 * An enum whose values are documented one by one: `{ VALUE: 'what it means' }`. The values' names
 * stay literal types, so resolvers and inputs are still checked against them.
 */
export function describedEnum<const V extends Record<string, string>>(name: string, values: V, description?: string): EnumRef<Types, Extract<keyof V, string>> {
  const config = Object.fromEntries(Object.entries(values).map(([value, text]) => [value, { description: text }]));
  return builder.enumType(name, { description, values: config }) as EnumRef<Types, Extract<keyof V, string>>;
}
