// Process plumbing shared by the service (`npm start`) and the worker (`npm run worker`).
import { ConfigError } from './config.js';
import { StorageUnavailableError } from './errors.js';

/** Runs `stop` once on SIGINT/SIGTERM, then exits. */
export function onShutdown(stop: () => Promise<void>): void {
  let stopping = false;
  const handler = async () => {
    if (stopping) return;
    stopping = true;
    await stop();
    process.exit(0);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}

/** Starts `main`, printing configuration errors as one line and anything else with its stack. */
export function runMain(main: () => Promise<void>): void {
  main().catch((e) => {
    if (e instanceof ConfigError) console.error(`configuration error: ${e.message}`);
    else if (e instanceof StorageUnavailableError) console.error(`cannot start: ${e.message}`);
    else console.error(e);
    process.exit(1);
  });
}
