// Child process for bench/subscribers: opens N websocket subscriptions to one explanation and idles,
// so the service's memory can be measured without the clients' own memory mixed in.
import { WebSocket } from 'ws';
import { createClient, type Client } from 'graphql-ws';

const [url, id, count] = [process.argv[2], process.argv[3], Number(process.argv[4])];
const clients: Client[] = [];
for (let i = 0; i < count; i += 50) {
  await Promise.all(
    Array.from({ length: Math.min(50, count - i) }, () => {
      const c = createClient({ url, webSocketImpl: WebSocket });
      clients.push(c);
      return new Promise<void>((resolve) =>
        c.subscribe(
          { query: `subscription($id: ID!) { explanationUpdated(id: $id) { status } }`, variables: { id } },
          { next: () => resolve(), error: () => resolve(), complete: () => {} },
        ),
      );
    }),
  );
}
console.log('ready');
setInterval(() => {}, 60_000);
