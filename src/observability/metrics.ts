/**
 * Prometheus metrics: request counts and latency histograms by method, route and status, plus the
 * process metrics prom-client collects. The request series are kept here rather than in prom-client:
 * they are updated on every request, and resolving prom-client's label sets cost more than the rest
 * of the bookkeeping together. Routes are patterns ("/admin/accounts/:id"), so the series stay few.
 */
import { Registry, collectDefaultMetrics } from 'prom-client';

const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

interface Series {
  labels: string;
  count: number;
  sum: number;
  /** Observations per bucket, not cumulative (the last slot is +Inf); cumulated when rendered. */
  perBucket: number[];
}

export interface Metrics {
  contentType: string;
  observe(method: string, route: string, status: number, seconds: number): void;
  render(): Promise<string>;
}

const label = (value: string) => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'gatehouse_' });
  const series = new Map<string, Series>();

  return {
    contentType: registry.contentType,
    observe(method, route, status, seconds) {
      const key = `${method} ${status} ${route}`;
      let s = series.get(key);
      if (!s) {
        s = { labels: `method="${label(method)}",route="${label(route)}",status="${status}"`, count: 0, sum: 0, perBucket: new Array(BUCKETS.length + 1).fill(0) };
        series.set(key, s);
      }
      s.count++;
      s.sum += seconds;
      let i = 0;
      while (i < BUCKETS.length && seconds > BUCKETS[i]!) i++;
      s.perBucket[i]!++;
    },
    async render() {
      const out: string[] = [
        '# HELP gatehouse_http_requests_total HTTP requests answered, by method, route and status',
        '# TYPE gatehouse_http_requests_total counter',
      ];
      for (const s of series.values()) out.push(`gatehouse_http_requests_total{${s.labels}} ${s.count}`);
      out.push(
        '# HELP gatehouse_http_request_duration_seconds HTTP request latency in seconds, by method, route and status',
        '# TYPE gatehouse_http_request_duration_seconds histogram',
      );
      for (const s of series.values()) {
        let cumulative = 0;
        BUCKETS.forEach((le, i) => {
          cumulative += s.perBucket[i]!;
          out.push(`gatehouse_http_request_duration_seconds_bucket{le="${le}",${s.labels}} ${cumulative}`);
        });
        out.push(`gatehouse_http_request_duration_seconds_bucket{le="+Inf",${s.labels}} ${s.count}`);
        out.push(`gatehouse_http_request_duration_seconds_sum{${s.labels}} ${s.sum}`);
        out.push(`gatehouse_http_request_duration_seconds_count{${s.labels}} ${s.count}`);
      }
      return `${out.join('\n')}\n\n${await registry.metrics()}`;
    },
  };
}
