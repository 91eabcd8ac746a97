// Redis connections for scale-out: the event feed (publish and subscribe) and the BullMQ queue.
import { Redis } from 'ioredis';

export function redisConnection(url: string): Redis {
  // BullMQ needs blocking commands to wait forever rather than fail after a retry count.
  return new Redis(url, { maxRetriesPerRequest: null });
}
