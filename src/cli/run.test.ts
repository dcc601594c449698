import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRunFlags, RUN_HELP, UsageError } from './run.ts';

describe('run flags', () => {
  it('has production defaults (controller-runtime ports, leader election off unless asked)', () => {
    const f = parseRunFlags([]);
    assert.equal(f.metricsAddress, ':8080');
    assert.equal(f.healthAddress, ':8081');
    assert.equal(f.leaderElect, false);
    assert.equal(f.leaderElectionId, 'milvus-load-operator');
    assert.deepEqual([f.leaseDurationMs, f.renewDeadlineMs, f.retryPeriodMs, f.shutdownTimeoutMs], [15_000, 10_000, 2_000, 10_000]);
  });

  it('parses every documented flag, in both --flag value and --flag=value forms', () => {
    const f = parseRunFlags(['--leader-elect', '--leader-election-namespace=ops', '--leader-election-id', 'mlo', '--lease-duration', '20s', '--renew-deadline=12s', '--retry-period', '3s', '--metrics-bind-address', '0', '--health-probe-bind-address=127.0.0.1:9000', '--shutdown-timeout', '30s', '--resync=1m', '--namespaces', 'a,b']);
    assert.equal(f.leaderElect, true);
    assert.equal(f.leaderElectionNamespace, 'ops');
    assert.equal(f.leaderElectionId, 'mlo');
    assert.deepEqual([f.leaseDurationMs, f.renewDeadlineMs, f.retryPeriodMs, f.shutdownTimeoutMs, f.resyncMs], [20_000, 12_000, 3_000, 30_000, 60_000]);
    assert.equal(f.metricsAddress, '0');
    assert.equal(f.healthAddress, '127.0.0.1:9000');
    assert.deepEqual(f.namespaces, ['a', 'b']);
    for (const flag of ['--leader-elect', '--leader-election-namespace', '--lease-duration', '--renew-deadline', '--retry-period', '--metrics-bind-address', '--health-probe-bind-address', '--shutdown-timeout']) {
      assert.ok(RUN_HELP.includes(flag), `${flag} is documented in run --help`);
    }
  });

  it('refuses timings that would let two replicas act at once, and says why', () => {
    assert.throws(() => parseRunFlags(['--leader-elect', '--lease-duration', '10s', '--renew-deadline', '10s']), (e: unknown) => e instanceof UsageError && /lease-duration must be longer than --renew-deadline/.test(e.message));
    assert.throws(() => parseRunFlags(['--leader-elect', '--retry-period', '20s']), /renew-deadline must be longer than --retry-period/);
  });

  it('refuses bad values with the flag name and an example', () => {
    assert.throws(() => parseRunFlags(['--metrics-bind-address', '8080']), /--metrics-bind-address .*host:port/);
    assert.throws(() => parseRunFlags(['--lease-duration', 'soon']), /--lease-duration soon: give a duration/);
    assert.throws(() => parseRunFlags(['--leader-election-id', 'Not_Valid']), /valid Kubernetes object name/);
    assert.throws(() => parseRunFlags(['--resync']), /--resync needs a value/);
    assert.throws(() => parseRunFlags(['--nope']), /unknown flag --nope/);
  });

  it('keeps everything after the first = as the value', () => {
    assert.equal(parseRunFlags(['--kubeconfig=/etc/k=v/config']).kubeconfig, '/etc/k=v/config');
    assert.equal(parseRunFlags(['--leader-election-namespace=a=b']).leaderElectionNamespace, 'a=b');
  });

  it('usage errors name the flag and never echo the value of an unknown one', () => {
    assert.throws(() => parseRunFlags(['--tokn=sk-secret']), (e: unknown) => e instanceof UsageError && e.message === 'unknown flag --tokn; see milvus-load-operator run --help');
    assert.throws(() => parseRunFlags(['-o', 'json']), /unknown flag -o; see milvus-load-operator run --help/, 'run has no -o');
    assert.throws(() => parseRunFlags(['--dry-run', '--kubeconfig']), /^Error: --kubeconfig needs a value$/);
    assert.throws(() => parseRunFlags(['extra']), /unexpected argument extra: run takes flags only; see milvus-load-operator run --help/);
    assert.throws(() => parseRunFlags(['--dry-run=yes']), /--dry-run is a switch and takes no value; write --dry-run, --dry-run=true or --dry-run=false/);
  });

  it('switches take =true and =false, as Kubernetes components do', () => {
    assert.equal(parseRunFlags(['--dry-run=true']).dryRun, true);
    assert.equal(parseRunFlags(['--leader-elect=false']).leaderElect, false);
    assert.equal(parseRunFlags(['--dry-run=false'], { MLO_DRY_RUN: 'true' }).dryRun, false, 'the flag wins over its variable');
  });

  it('falls back to the MLO_* variable, then the default; the flag wins', () => {
    const env = { MLO_RESYNC: '2m', MLO_CONCURRENCY: '8', MLO_LOG_LEVEL: 'debug', MLO_DRY_RUN: 'true', MLO_NAMESPACES: 'a,b', MLO_LEADER_ELECT: 'true', MLO_LEADER_ELECTION_ID: 'mlo', KUBECONFIG: '/k=v' };
    const f = parseRunFlags([], env);
    assert.deepEqual([f.resyncMs, f.concurrency, f.logLevel, f.dryRun, f.namespaces, f.leaderElect, f.leaderElectionId, f.kubeconfig], [120_000, 8, 'debug', true, ['a', 'b'], true, 'mlo', undefined], 'KUBECONFIG is read by the loader (it may be a list)');
    assert.equal(parseRunFlags(['--kubeconfig=/k=v'], env).kubeconfig, '/k=v');
    const g = parseRunFlags(['--resync', '5s', '--concurrency=2', '--log-level', 'warn', '--namespaces', 'c'], env);
    assert.deepEqual([g.resyncMs, g.concurrency, g.logLevel, g.namespaces], [5_000, 2, 'warn', ['c']]);
    const d = parseRunFlags([], { MLO_RESYNC: '' });
    assert.deepEqual([d.resyncMs, d.concurrency, d.logLevel, d.dryRun], [30_000, 4, 'info', false], 'an empty variable counts as unset');
  });

  it('a bad MLO_* value is a usage error that names the variable', () => {
    assert.throws(() => parseRunFlags([], { MLO_CONCURRENCY: 'many' }), /^Error: MLO_CONCURRENCY must be a whole number of at least 1$/);
    assert.throws(() => parseRunFlags([], { MLO_RESYNC: 'often' }), /MLO_RESYNC often: give a duration/);
    assert.throws(() => parseRunFlags([], { MLO_DRY_RUN: 'yes' }), /MLO_DRY_RUN=yes: use true or false/);
    assert.throws(() => parseRunFlags([], { MLO_LOG_LEVEL: 'loud' }), /MLO_LOG_LEVEL loud: use debug, info, warn or error/);
    assert.equal(parseRunFlags(['--concurrency', '3'], { MLO_CONCURRENCY: 'many' }).concurrency, 3, 'a flag given replaces its variable, bad or not');
  });
});

describe('--allowed-milvus-endpoints', () => {
  it('reads the flag and MLO_ALLOWED_MILVUS_ENDPOINTS, normalized as instances are', () => {
    const f = parseRunFlags(['--allowed-milvus-endpoints', 'Milvus.milvus.svc.cluster.local:19530, http://legacy.example.com']);
    assert.deepEqual(f.allowedMilvusEndpoints.rules, [
      { endpoint: 'milvus.milvus:19530', plainHttp: 'inCluster' },
      { endpoint: 'legacy.example.com:19530', plainHttp: 'always' },
    ]);
    assert.deepEqual(parseRunFlags([]).allowedMilvusEndpoints.rules, [], 'none by default');
    process.env.MLO_ALLOWED_MILVUS_ENDPOINTS = 'milvus.example.com:443';
    try {
      assert.deepEqual(parseRunFlags([]).allowedMilvusEndpoints.rules, [{ endpoint: 'milvus.example.com:443', plainHttp: 'inCluster' }]);
    } finally {
      delete process.env.MLO_ALLOWED_MILVUS_ENDPOINTS;
    }
    assert.ok(RUN_HELP.includes('--allowed-milvus-endpoints') && RUN_HELP.includes('MLO_ALLOWED_MILVUS_ENDPOINTS'));
  });

  it('refuses an entry that is not an endpoint, quoting it', () => {
    assert.throws(() => parseRunFlags(['--allowed-milvus-endpoints', 'm:1:2']), /"m:1:2" is not an endpoint; give host:port/);
    assert.throws(() => parseRunFlags(['--allowed-milvus-endpoints', 'milvus:19530,ftp://x,http://h/path']), (e: unknown) => e instanceof UsageError && /"ftp:\/\/x", "http:\/\/h\/path" are not endpoints/.test(e.message));
  });
});
