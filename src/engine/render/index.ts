// Rendering of explanation results: colormaps, heatmaps/overlays (PNG), raw maps (.npy), LIME views.
export * from './colormaps.ts';
export * from './heatmap.ts';
export * from './raw.ts';
export * from './lime-views.ts';
export * from './artifacts.ts';
