import { GraphQLError, Kind, type ValueNode } from 'graphql';
import { builder } from '../builder.js';
import { UploadedFile } from '../../uploads.js';

builder.scalarType('DateTime', {
  description: 'ISO-8601 timestamp',
  serialize: (d) => d.toISOString(),
  parseValue: (v) => {
    const d = new Date(String(v));
    if (Number.isNaN(d.getTime())) throw new GraphQLError(`not an ISO-8601 timestamp: ${String(v)}`);
    return d;
  },
});

function literal(node: ValueNode): unknown {
  switch (node.kind) {
    case Kind.STRING:
    case Kind.BOOLEAN:
      return node.value;
    case Kind.INT:
    case Kind.FLOAT:
      return Number(node.value);
    case Kind.NULL:
      return null;
    case Kind.LIST:
      return node.values.map(literal);
    case Kind.OBJECT:
      return Object.fromEntries(node.fields.map((f) => [f.name.value, literal(f.value)]));
    default:
      throw new GraphQLError('variables are not supported inside JSON literals');
  }
}

builder.scalarType('JSON', {
  description: 'Arbitrary JSON value',
  serialize: (v) => v,
  parseValue: (v) => v,
  parseLiteral: literal,
});

builder.scalarType('File', {
  description: 'A file sent with the GraphQL multipart request specification',
  serialize: () => {
    throw new GraphQLError('File is an input-only scalar');
  },
  // Only the multipart parser makes UploadedFiles: a string, object or list in its place is refused.
  parseValue: (v) => {
    if (v instanceof UploadedFile) return v;
    throw new GraphQLError('expected a file sent with the GraphQL multipart request (a null placeholder mapped to a file part)', {
      extensions: { code: 'INVALID_ARGUMENT', http: { status: 400 } },
    });
  },
});
