// Runs a test server in its own process (for tests whose environment is not plain Node, such
// as happy-dom), printing `{"url": ...}` as its first stdout line; SIGTERM stops it.
import { startTestServer } from './test-server.js';

const server = await startTestServer({
  ...(process.env.TEST_SERVER_KEYS ? { keys: process.env.TEST_SERVER_KEYS } : {}),
  ...(process.env.TEST_SERVER_PERMISSION_MODE
    ? { permissionMode: process.env.TEST_SERVER_PERMISSION_MODE }
    : {}),
});
process.stdout.write(`${JSON.stringify({ url: server.url, dataDir: server.dataDir })}\n`);
const stop = () => {
  server.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
