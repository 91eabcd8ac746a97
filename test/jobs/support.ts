// Helpers for job tests: a tiny GraphQL client for any service URL, and waiting on subscriptions.
import { WebSocket } from 'ws';
import { createClient, type Client } from 'graphql-ws';

export async function gqlAt(url: string, query: string, variables?: Record<string, unknown>, key?: string): Promise<any> {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: any; errors?: unknown };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

export const EXPLANATION_FIELDS = `id status progress stage samplesDone samplesTotal stability attempts error { code message } artifacts { name kind url } result caption startedAt`;

export function wsClient(url: string, key?: string): Client {
  return createClient({ url: url.replace(/^http/, 'ws') + '/graphql', webSocketImpl: WebSocket, retryAttempts: 5, connectionParams: key ? { authorization: `Bearer ${key}` } : undefined });
}

/** Collects every explanationUpdated event until a terminal status arrives. */
export function watch(client: Client, id: string, timeoutMs = 120_000): { events: any[]; done: Promise<any[]> } {
  const events: any[] = [];
  const done = new Promise<any[]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no terminal event for ${id} after ${timeoutMs} ms: ${JSON.stringify(events.at(-1))}`)), timeoutMs);
    const stop = client.subscribe(
      { query: `subscription($id: ID!) { explanationUpdated(id: $id) { ${EXPLANATION_FIELDS} } }`, variables: { id } },
      {
        next: (v: any) => {
          const e = v.data?.explanationUpdated;
          if (!e) return;
          events.push({ ...e, at: Date.now() });
          if (['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(e.status)) {
            clearTimeout(timer);
            stop();
            resolve(events);
          }
        },
        error: (err) => {
          clearTimeout(timer);
          reject(err);
        },
        complete: () => {},
      },
    );
  });
  return { events, done };
}

export async function waitUntil<T>(fn: () => Promise<T | null | undefined | false>, timeoutMs = 60_000, everyMs = 100): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
