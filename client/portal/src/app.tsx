import { useEffect, useState } from 'preact/hooks';
import { api, errorText, getApiKey, getConnection, onClientChange, onConnectionChange, PortalModelsQuery, setApiKey, type ConnectionState } from './api.ts';
import { ExplainForm } from './explain.tsx';
import { Gallery } from './gallery.tsx';
import { JobsPanel } from './jobs.tsx';
import { ResultsView } from './results.tsx';
import { images, jobs, useStore } from './store.ts';
import type { Model } from './types.ts';
import { StudiesPage } from './studies.tsx';
import { StudyView } from './study-view.tsx';
import { Upload } from './upload.tsx';

type Viewer = { name: string; role: string; open: boolean };

type Route = { page: 'images' } | { page: 'image'; id: string } | { page: 'studies' } | { page: 'study'; id: string };

function readRoute(): Route {
  const m = /^#\/(image|study)\/(.+)$/.exec(location.hash);
  if (m) return { page: m[1] as 'image' | 'study', id: decodeURIComponent(m[2]) };
  return location.hash === '#/studies' ? { page: 'studies' } : { page: 'images' };
}

function useRoute(): Route {
  const [route, setRoute] = useState(readRoute);
  useEffect(() => {
    const on = () => setRoute(readRoute());
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}

export function App() {
  const [epoch, setEpoch] = useState(0);
  const [viewer, setViewer] = useState<Viewer | null>(null);
  const [viewerError, setViewerError] = useState<string | null>(null);
  const [models, setModels] = useState<Model[]>([]);
  const [selectedModels, setSelectedModels] = useState<Set<string>>(new Set());
  const route = useRoute();
  useStore(jobs);

  useEffect(() => onClientChange(() => setEpoch((e) => e + 1)), []);

  // (Re)load everything for the current key: viewer, models, images, jobs (and resubscribe).
  useEffect(() => {
    let live = true;
    setViewerError(null);
    api()
      .viewer()
      .then((v) => live && setViewer(v))
      .catch((e) => {
        if (!live) return;
        setViewer(null);
        setViewerError(errorText(e));
      });
    api()
      .query(PortalModelsQuery)
      .then((r) => {
        if (!live) return;
        const ms = r.models.edges.map((e) => e.node);
        setModels(ms);
        setSelectedModels((prev) => {
          const kept = new Set([...prev].filter((id) => ms.some((m) => m.id === id)));
          if (kept.size === 0 && ms[0]) kept.add(ms[0].id);
          return kept;
        });
      })
      .catch(() => live && setModels([]));
    void images.load();
    void jobs.load();
    return () => {
      live = false;
    };
  }, [epoch]);

  const chosenModels = models.filter((m) => selectedModels.has(m.id));

  return (
    <>
      <a class="skip" href="#main">Skip to content</a>
      <header class="top">
        <h1>xai-lab</h1>
        <nav aria-label="Pages" class="pages">
          <a href="#/" aria-current={route.page === 'images' || route.page === 'image' ? 'page' : undefined}>
            Images
          </a>
          <a href="#/studies" aria-current={route.page === 'studies' || route.page === 'study' ? 'page' : undefined}>
            Studies
          </a>
        </nav>
        <ApiKeyForm viewer={viewer} viewerError={viewerError} />
      </header>
      <div class="layout">
        <aside class="controls" aria-label="Upload and explain">
          <Upload models={chosenModels} />
          <ExplainForm models={models} selectedModels={selectedModels} setSelectedModels={setSelectedModels} />
          <JobsPanel />
        </aside>
        <main id="main" tabIndex={-1}>
          {route.page === 'image' ? (
            <ResultsView id={route.id} models={models} key={`${route.id}:${epoch}`} />
          ) : route.page === 'studies' ? (
            <StudiesPage models={models} defaultModels={selectedModels} key={epoch} />
          ) : route.page === 'study' ? (
            <StudyView id={route.id} key={`${route.id}:${epoch}`} />
          ) : (
            <Gallery models={chosenModels} />
          )}
        </main>
      </div>
      <div class="sr-only" role="status" aria-live="polite" aria-atomic="true" data-testid="live-region">
        {jobs.announcement}
      </div>
    </>
  );
}

function ApiKeyForm({ viewer, viewerError }: { viewer: Viewer | null; viewerError: string | null }) {
  const [draft, setDraft] = useState(getApiKey());
  const [conn, setConn] = useState<ConnectionState>(getConnection());
  useEffect(() => onConnectionChange(setConn), []);
  const stored = getApiKey();
  return (
    <form
      class="apikey"
      onSubmit={(e) => {
        e.preventDefault();
        setApiKey(draft);
      }}
    >
      <label for="api-key">API key</label>
      <input
        id="api-key"
        type="password"
        autoComplete="off"
        spellcheck={false}
        placeholder={viewer?.open ? 'not needed in open local mode' : 'paste a key'}
        value={draft}
        onInput={(e) => setDraft((e.target as HTMLInputElement).value)}
        aria-describedby="api-key-status"
      />
      <button type="submit">Save key</button>
      {stored && (
        <button
          type="button"
          onClick={() => {
            setDraft('');
            setApiKey('');
          }}
        >
          Forget key
        </button>
      )}
      <span id="api-key-status" class="viewer">
        {viewerError ? (
          <span class="error" role="alert">
            {viewerError}
          </span>
        ) : viewer ? (
          viewer.open ? (
            'Open local mode: no key needed'
          ) : (
            `Signed in as ${viewer.name} (${viewer.role})`
          )
        ) : (
          'Connecting…'
        )}
        <span class={`conn conn-${conn}`} title="Live updates (websocket)">
          {conn === 'connected' ? ' · live' : conn === 'connecting' ? ' · connecting…' : ''}
        </span>
      </span>
    </form>
  );
}
