// ../shared, next to the repository: the models, photos and Python reference outputs some tests
// compare with (never copied into the repo; those tests skip with a message when it is absent).
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const sharedDir = path.resolve(fileURLToPath(new URL('../../../shared', import.meta.url)));
