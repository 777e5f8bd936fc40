/**
 * The delivery queue's gauges on /metrics, read from the database at each scrape (one small query on
 * the queue's partial index, so its cost follows the queue's size, not the table's): jobs waiting or
 * being delivered, and the age of the oldest, which is what an alert on a stuck queue watches.
 */
import type { QueueStats } from '../core/queue/queue.js';

export async function renderQueueGauges(stats: () => Promise<QueueStats>): Promise<string> {
  let s: QueueStats;
  try {
    s = await stats();
  } catch {
    // The database is away: /metrics still answers with everything else (readiness reports the outage).
    return '';
  }
  return [
    '# HELP gatehouse_delivery_queue_depth Delivery jobs (codes, events) queued or being delivered, in every process',
    '# TYPE gatehouse_delivery_queue_depth gauge',
    `gatehouse_delivery_queue_depth ${s.depth}`,
    '# HELP gatehouse_delivery_queue_running Delivery jobs a worker holds right now',
    '# TYPE gatehouse_delivery_queue_running gauge',
    `gatehouse_delivery_queue_running ${s.running}`,
    '# HELP gatehouse_delivery_queue_oldest_age_seconds Age of the oldest job queued or being delivered (0 when none)',
    '# TYPE gatehouse_delivery_queue_oldest_age_seconds gauge',
    `gatehouse_delivery_queue_oldest_age_seconds ${(s.oldestAgeMs / 1000).toFixed(3)}`,
    '',
  ].join('\n');
}
