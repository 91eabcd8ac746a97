// Fixtures for the perturbation tests: the shared photos and a red-square demo drawing (the models
// and requests are in ../fixtures.ts).
import path from 'node:path';
import { drawDemoImage, type DemoShape } from '../../../src/engine/demo/index.ts';
import { shared } from '../fixtures.ts';

export const imagesDir = path.join(shared, 'images');

export async function redSquare(size = 64, x = 40, y = 40): Promise<Buffer> {
  const shapes: DemoShape[] = [{ color: 'red', kind: 'square', x, y, size }];
  return (await drawDemoImage({ seed: 7, shapes })).png;
}
