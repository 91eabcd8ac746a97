import { defineApiSuite } from './suite.js';

// '' = the service's default: a SQLite file in its data directory, created and migrated on start.
defineApiSuite('SQLite', async () => '', '');
