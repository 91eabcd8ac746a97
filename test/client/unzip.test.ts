// The CLI's ZIP reader (client/cli/unzip.ts) on archives from the service's writer
// (src/engine/report/zip.ts: stored and deflated entries) and on hostile or corrupt ones.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { readZip, unzipTo } from '../../client/cli/unzip.ts';
import { zipArchive } from '../../src/engine/report/zip.ts';
import { tmpDir } from '../support/tmp.js';

const text = (s: string) => new TextEncoder().encode(s);

test('reads what the report writer writes: names, bytes, stored and deflated entries', async () => {
  const files = [
    { name: 'report.html', bytes: text('<h1>study</h1>'.repeat(200)) }, // compresses: deflated
    { name: 'figures/grid-1.png', bytes: Uint8Array.from({ length: 300 }, (_, i) => (i * 7919) % 251) }, // noise: stored
    { name: 'tables/iou.csv', bytes: text('image,iou\nbittern.jpg,0.0848\n') },
    { name: 'empty.json', bytes: new Uint8Array(0) },
  ];
  const zip = zipArchive(files);
  const entries = readZip(zip);
  assert.deepEqual(
    entries.map((e) => [e.name, Buffer.from(e.bytes).toString('base64')]),
    [...files].sort((a, b) => (a.name < b.name ? -1 : 1)).map((f) => [f.name, Buffer.from(f.bytes).toString('base64')]),
  );
  const dir = tmpDir('xai-unzip-');
  assert.deepEqual((await unzipTo(zip, dir)).sort(), files.map((f) => f.name).sort());
  assert.equal(readFileSync(path.join(dir, 'tables', 'iou.csv'), 'utf8'), 'image,iou\nbittern.jpg,0.0848\n');
});

test('refuses paths out of the folder, corrupt data and non-archives', () => {
  const zip = zipArchive([{ name: 'aa/b.txt', bytes: text('hello hello hello hello') }]);
  // Same length as "aa/b.txt", so the offsets stay valid: only the name changes (in both headers).
  const evil = Buffer.from(zip.toString('latin1').split('aa/b.txt').join('../b.txt'), 'latin1');
  assert.throws(() => readZip(evil), /refusing the archive path "\.\.\/b\.txt"/);
  const corrupt = Buffer.from(zip);
  corrupt[30 + 'aa/b.txt'.length + 2] ^= 0xff; // a byte of the entry's data
  assert.throws(() => readZip(corrupt), /CRC-32 mismatch|invalid|incorrect/i);
  assert.throws(() => readZip(Buffer.from('not a zip at all, not at all')), /not a ZIP archive/);
});
