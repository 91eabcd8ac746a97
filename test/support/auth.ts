// A service that requires API keys, with helpers to mint keys per role, plus raw transport helpers
// (SSE and the graphql-transport-ws protocol) that show exactly what the server answered.
import { WebSocket } from 'ws';
import { ensureAdminKey } from '../../src/services/keys.js';
import { startTestService, type TestService } from './service.js';

export const ADMIN_SECRET = 'test-admin-secret-0123456789abcdef';

export interface KeyedService {
  svc: TestService;
  /** Creates a key with the role (and name) and returns its secret. */
  key(role: 'VIEWER' | 'RESEARCHER' | 'ADMIN', name?: string): Promise<string>;
}

export async function startKeyedService(opts: { env?: Record<string, string>; seed?: boolean; jobs?: boolean } = {}): Promise<KeyedService> {
  const svc = await startTestService({ ...opts, env: { XAI_AUTH: 'required', XAI_ADMIN_KEY: ADMIN_SECRET, ...opts.env } });
  await ensureAdminKey(svc.app, ADMIN_SECRET);
  let n = 0;
  return {
    svc,
    async key(role, name = `${role.toLowerCase()}-${++n}`) {
      const r = await svc.gql(
        `mutation($n: String!, $r: Role!) { createApiKey(name: $n, role: $r) { ... on CreateApiKeySuccess { data { secret } } } }`,
        { n: name, r: role },
        { key: ADMIN_SECRET },
      );
      return r.data.createApiKey.data.secret as string;
    },
  };
}

/** Opens an SSE request and returns the status, content type and the first chunk of the body. */
export async function sseFirst(url: string, init: RequestInit): Promise<{ status: number; type: string; text: string }> {
  const ac = new AbortController();
  const res = await fetch(url, { ...init, headers: { accept: 'text/event-stream', ...init.headers }, signal: ac.signal });
  const type = res.headers.get('content-type') ?? '';
  let text = '';
  if (type.includes('text/event-stream')) {
    const reader = res.body!.getReader();
    const timer = setTimeout(() => ac.abort(), 2000);
    try {
      while (!/\n\n/.test(text)) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
    } catch {
      /* aborted: nothing (more) arrived */
    } finally {
      clearTimeout(timer);
    }
    ac.abort();
  } else {
    text = await res.text();
  }
  return { status: res.status, type, text };
}

export type WsMessage = { type: string; id?: string; payload?: any };

/** A raw graphql-transport-ws connection: every message and the close code are visible. */
export class RawWs {
  readonly messages: WsMessage[] = [];
  closed: { code: number; reason: string } | null = null;
  private waiters: (() => void)[] = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (d) => {
      this.messages.push(JSON.parse(String(d)));
      this.wake();
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: String(reason) };
      this.wake();
    });
  }

  static async connect(httpUrl: string, connectionParams: Record<string, unknown> = {}): Promise<RawWs> {
    const ws = new WebSocket(httpUrl.replace(/^http/, 'ws') + '/graphql', 'graphql-transport-ws');
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const raw = new RawWs(ws);
    ws.send(JSON.stringify({ type: 'connection_init', payload: connectionParams }));
    await raw.until((m) => m.type === 'connection_ack');
    return raw;
  }

  private wake() {
    const w = this.waiters;
    this.waiters = [];
    w.forEach((f) => f());
  }

  subscribe(id: string, query: string, variables: Record<string, unknown> = {}) {
    this.ws.send(JSON.stringify({ id, type: 'subscribe', payload: { query, variables } }));
  }

  /** Resolves with the first message matching `pred` (or rejects when the socket closes first). */
  async until(pred: (m: WsMessage) => boolean, timeoutMs = 10_000): Promise<WsMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this.messages.find(pred);
      if (m) return m;
      if (this.closed) throw new Error(`websocket closed (${this.closed.code} ${this.closed.reason}) before the expected message`);
      if (Date.now() > deadline) throw new Error(`no matching websocket message within ${timeoutMs} ms: ${JSON.stringify(this.messages)}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 100);
      });
    }
  }

  close() {
    this.ws.close();
  }
}
