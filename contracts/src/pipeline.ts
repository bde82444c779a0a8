import { z } from 'zod';
import { decisionSet } from './decisions.ts';
import { daIncidentReceived } from './domestic-abuse.ts';
import { subjectIdentity } from './identity.ts';

/**
 * The domestic-abuse pipeline's intermediate records. Each stage's output carries what the next stage needs, so
 * every record on Kafka explains itself: what was received, who it was matched to (with which reference data),
 * and (after the IG engine) what was decided under which policy.
 */
export const daIncidentIdentified = z
  .object({
    received: daIncidentReceived,
    /** One per submitted subject, in submission order. */
    identities: z.array(subjectIdentity).max(20),
    /** The reference data version the matching used (content hash of the directory files). */
    directoryVersion: z.string().regex(/^[a-f0-9]{64}$/),
  })
  .strict()
  .superRefine((record, context) => {
    const refs = record.received.submission.subjects.map((subject) => subject.ref);
    if (record.identities.map((identity) => identity.ref).join('\u0000') !== refs.join('\u0000')) {
      context.addIssue({
        code: 'custom',
        path: ['identities'],
        message: 'must match the subjects one to one, in order',
      });
    }
  })
  .describe(
    'A received incident with its identities. Also checked: identities match the submitted subjects one to one, ' +
      'in submission order (same refs).',
  );
export type DaIncidentIdentified = z.infer<typeof daIncidentIdentified>;

/** An identified incident with the IG engine's decision set: one decision per subject, plus the MARAC decision. */
export const daIncidentDecided = z
  .object({
    identified: daIncidentIdentified,
    decisions: decisionSet,
  })
  .strict();
export type DaIncidentDecided = z.infer<typeof daIncidentDecided>;
