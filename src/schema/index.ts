// Assembles the schema; importing the type modules registers them on the builder.
import { builder } from './builder.js';
import './types/scalars.js';
import './types/errors.js';
import './types/enums.js';
import './types/nodes.js';
import './types/uncertainty.js';
import './types/queries.js';
import './types/mutations.js';
import './types/subscriptions.js';
import './types/studies.js';
import './types/study-results.js';

export const schema = builder.toSchema({ sortSchema: false });
