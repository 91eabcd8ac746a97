// Expected failures (AppError) that escape a field without a result union — a bad id in a query or a
// subscription's arguments — are shown with their code (and field), not masked as unexpected.
import { GraphQLError } from 'graphql';
import { maskError, type YogaMaskedErrorOpts } from 'graphql-yoga';
import { AppError, InvalidArgumentError } from '../errors.js';

export const appErrorMasking: YogaMaskedErrorOpts = {
  errorMessage: 'Unexpected error.',
  maskError(error, message, isDev) {
    const original = error instanceof GraphQLError ? error.originalError : error;
    if (!(original instanceof AppError)) return maskError(error, message, isDev);
    const field = original instanceof InvalidArgumentError ? { field: original.field } : {};
    return new GraphQLError(original.message, {
      nodes: error instanceof GraphQLError ? error.nodes : undefined,
      path: error instanceof GraphQLError ? error.path : undefined,
      extensions: { code: original.code, ...field },
    });
  },
};
