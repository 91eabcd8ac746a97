// A GraphQL-shaped error response for requests refused before execution.
export function jsonError(status: number, code: string, message: string, headers: Record<string, string> = {}, extensions: Record<string, unknown> = {}) {
  return {
    status,
    body: JSON.stringify({ errors: [{ message, extensions: { code, ...extensions } }] }),
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  };
}
