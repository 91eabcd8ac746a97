// Picks the artifact store from the configuration.
import type { ArtifactStoreConfig } from '../config.js';
import type { BlobStore } from './blobs.js';
import { DirectoryStore } from './directory.js';
import { S3Store } from './s3.js';

export function openBlobStore(c: ArtifactStoreConfig): BlobStore {
  return c.kind === 's3' ? new S3Store(c) : new DirectoryStore(c.dir);
}

export type { BlobStore } from './blobs.js';
