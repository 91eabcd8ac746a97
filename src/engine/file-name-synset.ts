// The ImageNet rule for ground truth in file names (`n02010272_1613.jpg`). Pure (no Node, no packages;
// scripts/imports.ts BROWSER_SAFE), so the study CLI reads a local file's name with the rule the
// service applies to stored names.

const SYNSET = /(?:^|[^A-Za-z0-9])(n\d{8})(?![0-9])/;

/** The WordNet synset in an ImageNet-style file name (`n02010272_1613.jpg`, `sim_n01642257_3703.jpg`), else null. */
export function synsetFromFileName(name: string | null | undefined): string | null {
  if (!name) return null;
  const base = name.split(/[\\/]/).pop() ?? name;
  return SYNSET.exec(base)?.[1] ?? null;
}
