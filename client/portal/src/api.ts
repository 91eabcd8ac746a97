// The portal's connection to the service: one SDK client (HTTP + graphql-ws) for the stored API key,
// replaced when the key changes. The portal is served by the service itself, so the API is same-origin.
import { createXaiClient, isXaiError, type XaiClient } from '../../sdk/index.ts';
export * from './documents.ts';

const KEY_STORAGE = 'xai-lab.apiKey';

export type ConnectionState = 'connecting' | 'connected' | 'closed';

function readKey(): string {
  try {
    return localStorage.getItem(KEY_STORAGE) ?? '';
  } catch {
    return '';
  }
}

let apiKey = readKey();
let connection: ConnectionState = 'closed';
const connectionListeners = new Set<(s: ConnectionState) => void>();
const clientListeners = new Set<() => void>();

function make(): XaiClient {
  return createXaiClient({
    url: '/graphql',
    apiKey: apiKey || undefined,
    onConnectionChange: (s) => {
      connection = s;
      connectionListeners.forEach((l) => l(s));
    },
  });
}

let client = make();

export const api = () => client;
export const getApiKey = () => apiKey;
export const getConnection = () => connection;

/** Stores the key (empty = none) and replaces the client; listeners reload their data. */
export function setApiKey(key: string): void {
  apiKey = key.trim();
  try {
    if (apiKey) localStorage.setItem(KEY_STORAGE, apiKey);
    else localStorage.removeItem(KEY_STORAGE);
  } catch {
    /* private mode: the key lasts for this page only */
  }
  const old = client;
  client = make();
  void old.dispose();
  clientListeners.forEach((l) => l());
}

export function onClientChange(l: () => void): () => void {
  clientListeners.add(l);
  return () => clientListeners.delete(l);
}

export function onConnectionChange(l: (s: ConnectionState) => void): () => void {
  connectionListeners.add(l);
  return () => connectionListeners.delete(l);
}

/** "CODE: message", the way the API's typed errors are shown inline. */
export function errorText(e: unknown): string {
  if (isXaiError(e)) return `${e.code}: ${e.message}`;
  if (e instanceof Error) return e.message;
  return String(e);
}

