import fs from 'node:fs';

/**
 * The photo a bench runs on: the first command-line argument that names an existing file, else
 * `fallback`. `npm run bench perturb my.jpg` passes the bench names too (they are not files), so
 * argv[2] alone would take "perturb" for the photo.
 */
export function photoArgument(fallback: string): string {
  return process.argv.slice(2).find((a) => fs.existsSync(a) && fs.statSync(a).isFile()) ?? fallback;
}
