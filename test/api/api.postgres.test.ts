import { after } from 'node:test';
import { POSTGRES_SKIP_MESSAGE, withPostgres } from '../support/postgres.js';
import { defineApiSuite } from './suite.js';

let drop: (() => Promise<void>) | undefined;
after(async () => drop?.());

defineApiSuite(
  'PostgreSQL',
  async () => {
    const pg = await withPostgres('api');
    if (!pg) return null;
    drop = () => pg.drop();
    return pg.url;
  },
  POSTGRES_SKIP_MESSAGE,
);
