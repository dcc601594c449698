// Free TCP ports on loopback, for servers the tests start.
import { createServer } from 'node:net';

/** A port that was free a moment ago. Servers bind it right after; a clash fails loudly at their start. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}
