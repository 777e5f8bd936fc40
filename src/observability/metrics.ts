/**
 * Prometheus metrics: request counts by method, route and status, latency histograms by method and
 * route, plus the process metrics prom-client collects. The request series are kept here rather than
 * in prom-client: they are updated on every request, and resolving prom-client's label sets cost more
 * than the rest of the bookkeeping together. Routes are patterns ("/admin/accounts/:id"), so the
 * series stay few.
 *
 * Size: the histogram lines were 85% of the page (108 KB after the README's walk-through, 54 series
 * of 13 buckets, split by status too). The histogram is now by route only (a 4xx and a 200 of one
 * route share it; their counts stay apart in the counter) with 7 buckets, one per factor of about 5
 * from 1 ms: the page is a fifth of that.
 */
import type { QueueStats } from '../core/queue/queue.js';
import { renderQueueGauges } from './queue-metrics.js';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { type BusinessCounters, createBusinessCounters } from './business-metrics.js';

const BUCKETS = [0.001, 0.005, 0.025, 0.1, 0.5, 2.5];

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

/** business: the counts core makes (the runtime's); a fresh set when none is given. */
export function createMetrics(business: BusinessCounters = createBusinessCounters(), queue?: () => Promise<QueueStats>): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'gatehouse_' });
  /** Counts by method, status and route. */
  const counts = new Map<string, { labels: string; count: number }>();
  /** Latency by method and route. */
  const series = new Map<string, Series>();

  return {
    contentType: registry.contentType,
    observe(method, route, status, seconds) {
      const countKey = `${method} ${status} ${route}`;
      let c = counts.get(countKey);
      if (!c) {
        c = { labels: `method="${label(method)}",route="${label(route)}",status="${status}"`, count: 0 };
        counts.set(countKey, c);
      }
      c.count++;
      const key = `${method} ${route}`;
      let s = series.get(key);
      if (!s) {
        s = { labels: `method="${label(method)}",route="${label(route)}"`, count: 0, sum: 0, perBucket: new Array(BUCKETS.length + 1).fill(0) };
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
      for (const c of counts.values()) out.push(`gatehouse_http_requests_total{${c.labels}} ${c.count}`);
      out.push(
        '# HELP gatehouse_http_request_duration_seconds HTTP request latency in seconds, by method and route',
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
      const gauges = queue ? await renderQueueGauges(queue) : '';
      return `${out.join('\n')}\n\n${business.render()}\n${gauges}${await registry.metrics()}`;
    },
  };
}
