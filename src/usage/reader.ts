// One reader per Milvus instance, from its configured usage source.
import { MilvusMetricsReader } from './milvus-metrics.ts';
import { PrometheusReader } from './prometheus.ts';
import type { UsageReader, UsageSourceConfig } from './types.ts';

export interface UsageReaderOptions {
  /** Prometheus only: how far back its query looks (see PrometheusOptions.periodSeconds). */
  readonly periodSeconds: number;
  readonly now?: () => Date;
}

export function createUsageReader(config: UsageSourceConfig, opts: UsageReaderOptions): UsageReader {
  const now = opts.now === undefined ? {} : { now: opts.now };
  switch (config.kind) {
    case 'MilvusMetrics':
      return new MilvusMetricsReader(config.endpoints, now);
    case 'Prometheus':
      return new PrometheusReader(config.url, { periodSeconds: opts.periodSeconds, ...(config.query === undefined ? {} : { query: config.query }), ...now });
  }
}
