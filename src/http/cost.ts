// The cost of an operation with its real variables: the number of fields it can resolve, each list
// counted at its real size. Connections count `first`/`last` (at most MAX_PAGE, which is also what the
// resolvers return) or the default page of 20; a list field with a list argument (`nodes(ids)`) counts
// one item per element; `labels(limit)` counts its limit; other lists are counted once (their length is
// bounded by the data: a prediction's topK classes, an explanation's artifacts).
// GraphQL Armor's cost rule reads only literal `first`/`last`, so a list passed as a variable was free.
import {
  getNamedType,
  getNullableType,
  getOperationAST,
  GraphQLError,
  isCompositeType,
  isListType,
  isObjectType,
  Kind,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLSchema,
  type SelectionSetNode,
  getArgumentValues,
  getVariableValues,
} from 'graphql';

export const DEFAULT_PAGE = 20;
export const MAX_PAGE = 100;
/** The most items a list argument (`nodes(ids)`) or a list variable may have. */
export const MAX_LIST_ARGUMENT = 100;

export class CostError extends GraphQLError {}

const isConnection = (t: GraphQLCompositeType) => isObjectType(t) && t.name.endsWith('Connection') && 'edges' in t.getFields();

/**
 * The operation's cost, or a CostError when a list argument is longer than MAX_LIST_ARGUMENT. Returns 0
 * when the operation or its variables are invalid: execution reports those errors itself.
 */
export function operationCost(schema: GraphQLSchema, document: DocumentNode, operationName: string | null | undefined, rawVariables: Record<string, unknown> | null | undefined): number {
  const operation = getOperationAST(document, operationName);
  if (!operation) return 0;
  const root = schema.getRootType(operation.operation);
  if (!root) return 0;
  // Before coercing (which parses every item): a list variable longer than any list argument takes.
  for (const v of operation.variableDefinitions ?? []) {
    const raw = rawVariables?.[v.variable.name.value];
    const type = v.type.kind === Kind.NON_NULL_TYPE ? v.type.type : v.type;
    if (type.kind === Kind.LIST_TYPE && Array.isArray(raw) && raw.length > MAX_LIST_ARGUMENT) throw tooLong(`$${v.variable.name.value}`, v.variable.name.value, raw.length);
  }
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], rawVariables ?? {}, { maxErrors: 1 });
  if (coerced.errors) return 0;
  const variables = coerced.coerced;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);

  const costOf = (set: SelectionSetNode, parent: GraphQLCompositeType, pageSize: number | null): number => {
    let total = 0;
    for (const sel of set.selections) {
      if (sel.kind === Kind.INLINE_FRAGMENT) {
        const t = sel.typeCondition ? schema.getType(sel.typeCondition.name.value) : parent;
        if (t && isCompositeType(t)) total += costOf(sel.selectionSet, t, pageSize);
        continue;
      }
      if (sel.kind === Kind.FRAGMENT_SPREAD) {
        const f = fragments.get(sel.name.value);
        const t = f && schema.getType(f.typeCondition.name.value);
        if (f && t && isCompositeType(t)) total += costOf(f.selectionSet, t, pageSize);
        continue;
      }
      const name = sel.name.value;
      if (name === '__schema' || name === '__type') continue; // introspection is not counted
      const def = 'getFields' in parent ? parent.getFields()[name] : undefined;
      if (!def) {
        total += 1; // __typename
        continue;
      }
      let args: Record<string, unknown>;
      try {
        args = getArgumentValues(def as GraphQLField<unknown, unknown>, sel, variables);
      } catch {
        return 0; // invalid arguments: execution answers them
      }
      const type = getNamedType(def.type);
      const items = name === 'edges' && pageSize !== null ? pageSize : listSize(def, args);
      const children = sel.selectionSet && isCompositeType(type) ? costOf(sel.selectionSet, type, isConnection(type) ? connectionPage(args) : null) : 0;
      total += items * (1 + children);
    }
    return total;
  };
  return costOf(operation.selectionSet, root, null);
}

function tooLong(what: string, field: string, length: number): CostError {
  return new CostError(`${what} takes at most ${MAX_LIST_ARGUMENT} items, got ${length}`, {
    extensions: { code: 'INVALID_ARGUMENT', field, http: { status: 400 } },
  });
}

function connectionPage(args: Record<string, unknown>): number {
  const n = typeof args.first === 'number' ? args.first : typeof args.last === 'number' ? args.last : DEFAULT_PAGE;
  return Math.max(0, Math.min(n, MAX_PAGE));
}

/** How many items a field resolves to (1 unless it returns a list of objects). */
function listSize(def: GraphQLField<unknown, unknown>, args: Record<string, unknown>): number {
  const t = getNullableType(def.type);
  if (!isListType(t) || !isCompositeType(getNamedType(t))) return 1;
  for (const a of def.args) {
    const v = args[a.name];
    if (!Array.isArray(v)) continue;
    if (v.length > MAX_LIST_ARGUMENT) throw tooLong(`${def.name}(${a.name}:)`, a.name, v.length);
    return v.length;
  }
  if (typeof args.limit === 'number') return Math.max(0, args.limit);
  return 1;
}
