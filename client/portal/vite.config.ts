// Vite config for the lab portal. `npm run portal:build` writes client/portal/dist, which the service
// serves at `/`; `npm run portal:dev` runs a dev server that proxies the API to a running service
// (XAI_URL, default http://127.0.0.1:4000).
import { defineConfig } from 'vite';

const api = process.env.XAI_URL ?? 'http://127.0.0.1:4000';

export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  // Preact's automatic JSX runtime, without @preact/preset-vite.
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  resolve: { alias: { react: 'preact/compat', 'react-dom': 'preact/compat' } },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', sourcemap: false, reportCompressedSize: false },
  server: {
    port: 5173,
    // The portal imports the SDK from client/sdk.
    fs: { allow: ['..'] },
    proxy: {
      '/graphql': { target: api, ws: true, changeOrigin: true },
      '/files': { target: api, changeOrigin: true },
    },
  },
});
