/*
 * Issue 9, done when: one hub instance loses its Redis views mid-stream, twice (every key under its prefix deleted;
 * Redis restarted on an empty data dir), rebuilds them from Kafka, and answers as before; see view-loss-scenario.ts.
 */
import { describeViewLoss } from './view-loss-scenario.ts';

describeViewLoss(1);
