// Loads asked for in the same tick go to the database as one query. The GraphQL executor resolves
// the fields of a page's rows side by side, so a page of 50 explanations asks for its 50 images at
// once: one `id IN (…)` query instead of 50 (no N+1). Nothing is kept after the batch is answered.
export type Load<K, V> = (key: K) => Promise<V | undefined>;

export function batched<K, V>(loadMany: (keys: K[]) => Promise<Map<K, V>>): Load<K, V> {
  let pending: Map<K, { resolve: (v: V | undefined) => void; reject: (e: unknown) => void }[]> | null = null;
  const dispatch = async (batch: NonNullable<typeof pending>) => {
    try {
      const found = await loadMany([...batch.keys()]);
      for (const [key, waiters] of batch) for (const w of waiters) w.resolve(found.get(key));
    } catch (e) {
      for (const waiters of batch.values()) for (const w of waiters) w.reject(e);
    }
  };
  return (key) =>
    new Promise((resolve, reject) => {
      if (!pending) {
        const batch = (pending = new Map());
        // After the promise jobs of this tick: the resolvers of sibling fields have all asked by then.
        void Promise.resolve().then(() =>
          process.nextTick(() => {
            pending = null;
            void dispatch(batch);
          }),
        );
      }
      const waiters = pending.get(key);
      if (waiters) waiters.push({ resolve, reject });
      else pending.set(key, [{ resolve, reject }]);
    });
}

/** Groups rows by a key, for one-to-many loads (every key gets a list, empty when nothing matched). */
export function groupBy<K, V>(keys: readonly K[], rows: readonly V[], keyOf: (row: V) => K): Map<K, V[]> {
  const out = new Map<K, V[]>(keys.map((k) => [k, []]));
  for (const r of rows) out.get(keyOf(r))?.push(r);
  return out;
}
