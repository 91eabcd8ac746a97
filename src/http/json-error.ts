// A GraphQL-shaped error response for requests refused before execution.
export function jsonError(status: number, code: string, message: string, headers: Record<string, string> = {}) {
  return {
    status,
    body: JSON.stringify({ errors: [{ message, extensions: { code } }] }),
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  };
}
