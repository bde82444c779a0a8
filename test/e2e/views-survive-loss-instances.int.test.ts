/*
 * Issue 9, done when, with two hub instances of one deployment: one builds each lost view, the other waits for its
 * marker; both are ready again and answer the same; see view-loss-scenario.ts.
 */
import { describeViewLoss } from './view-loss-scenario.ts';

describeViewLoss(2);
