// Runs the _bulk test server as its own process (benchmarks: its memory is not the client's).
// Prints {"port":N} once listening; prints its counters on SIGTERM and exits.
import { BulkServer } from './bulk-server.js';

const server = new BulkServer({ idsOnly: true });
await server.start();
process.stdout.write(JSON.stringify({ port: server.port }) + '\n');
process.on('SIGTERM', () => {
  process.stdout.write(JSON.stringify(server.counts) + '\n');
  void server.stop().then(() => process.exit(0));
});
