// The simulator as a standalone process (test/simulator/main.ts), as a
// benchmark or a person runs it.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { MilvusClient } from '@zilliz/milvus2-sdk-node';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

describe('Milvus simulator: standalone process', () => {
  it('listens on the port it prints, serves seeded collections and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, [MAIN, '--port', '0', '--collections', '25', '--database', 'bench'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let out = '';
      child.stdout.setEncoding('utf8');
      const uri = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (chunk: string) => {
          out += chunk;
          const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
          if (m?.[1]) resolve(m[1]);
        });
        child.once('exit', (code) => reject(new Error(`simulator exited with ${String(code)} before listening: ${out}`)));
      });
      const c = new MilvusClient({ address: uri.replace('http://', ''), telemetry: { enabled: false }, timeout: 5000 });
      try {
        const listed = await c.showCollections({ db_name: 'bench' });
        assert.equal(listed.data.length, 25);
      } finally {
        await c.closeConnection();
      }
      child.kill('SIGTERM');
      const [code] = (await once(child, 'exit')) as [number | null];
      assert.equal(code, 0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('--proxies N serves N proxy /metrics endpoints and prints their URLs', async () => {
    const child = spawn(process.execPath, [MAIN, '--port', '0', '--proxies', '2'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let out = '';
      child.stdout.setEncoding('utf8');
      const urls = await new Promise<string[]>((resolve, reject) => {
        child.stdout.on('data', (chunk: string) => {
          out += chunk;
          const m = /^proxy metrics: (.+)$/m.exec(out);
          if (m?.[1]) resolve(m[1].split(' '));
        });
        child.once('exit', (code) => reject(new Error(`simulator exited with ${String(code)} before serving proxy metrics: ${out}`)));
      });
      assert.equal(urls.length, 2);
      for (const url of urls) {
        const res = await fetch(url);
        assert.equal(res.status, 200);
        assert.match(await res.text(), /^# TYPE milvus_proxy_req_count counter$/m);
      }
      child.kill('SIGTERM');
      const [code] = (await once(child, 'exit')) as [number | null];
      assert.equal(code, 0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('rejects a bad option with a message that says what to pass', async () => {
    const child = spawn(process.execPath, [MAIN, '--port', 'abc'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => (err += d));
    const [code] = (await once(child, 'exit')) as [number | null];
    assert.equal(code, 1);
    assert.match(err, /--port must be a non-negative number, got "abc"/);
  });
});
