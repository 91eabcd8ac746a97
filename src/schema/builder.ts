// The Pothos builder: Relay ids/connections, typed error unions and role-based scopes.
import SchemaBuilder from '@pothos/core';
import RelayPlugin from '@pothos/plugin-relay';
import ErrorsPlugin from '@pothos/plugin-errors';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import { GraphQLError } from 'graphql';
import { hasRole } from '../auth.js';
import type { Context } from '../context.js';
import type { UploadedFile } from '../uploads.js';
import { decodeGlobalID } from './global-ids.js';

const upperFirst = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

export const builder = new SchemaBuilder<{
  Context: Context;
  AuthScopes: { viewer: boolean; researcher: boolean; admin: boolean };
  Scalars: {
    DateTime: { Input: Date; Output: Date };
    JSON: { Input: unknown; Output: unknown };
    File: { Input: UploadedFile; Output: never };
  };
  DefaultFieldNullability: false;
}>({
  defaultFieldNullability: false,
  // Relay before scope-auth so scope checks see parsed global ids; argumentErrors inside errors so a
  // bad id becomes a mutation's InvalidArgumentError member.
  plugins: [RelayPlugin, ScopeAuthPlugin, ErrorsPlugin, 'argumentErrors'],
  relay: { cursorType: 'String', clientMutationId: 'omit', decodeGlobalID },
  scopeAuth: {
    authorizeOnSubscribe: true,
    authScopes: (ctx) => ({
      viewer: hasRole(ctx.principal, 'VIEWER'),
      researcher: hasRole(ctx.principal, 'RESEARCHER'),
      admin: hasRole(ctx.principal, 'ADMIN'),
    }),
    unauthorizedError: (_parent, ctx, info) =>
      new GraphQLError(`the ${ctx.principal.role.toLowerCase()} role may not use ${info.parentType.name}.${info.fieldName}`, {
        extensions: { code: 'FORBIDDEN', http: { status: 403 } },
      }),
  },
  errors: {
    defaultTypes: [],
    // Argument mapping (global ids) fails inside the errors plugin, so those errors reach the unions.
    unsafelyHandleInputErrors: true,
    defaultResultOptions: { name: ({ fieldName }) => `${upperFirst(fieldName)}Success` },
    defaultUnionOptions: { name: ({ fieldName }) => `${upperFirst(fieldName)}Result` },
  },
});

builder.queryType({ authScopes: { viewer: true } });
builder.mutationType({ authScopes: { researcher: true } });
builder.subscriptionType({ authScopes: { viewer: true } });
