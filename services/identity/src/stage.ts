import { auditEvent, incidentRef } from '@hub/audit';
import {
  auditEventsTopic,
  daIncidentIdentifiedTopic,
  STEPS,
  type DaIncidentReceived,
  type SubjectIdentity,
} from '@hub/contracts';
import { incidentDate, resolveSubject, type FileDirectory } from '@hub/directory';
import { bindStage, output, type Output } from '@hub/kafka';

const SERVICE = 'identity';

/**
 * Matches every subject of a received incident against one consistent snapshot of the directory, on the
 * incident's date (England). Never guesses: anything but one consistent record is an exception with its reason.
 */
export async function identify(
  directory: FileDirectory,
  received: DaIncidentReceived,
): Promise<{ identities: SubjectIdentity[]; directoryVersion: string }> {
  const snapshot = directory.current();
  const onDate = incidentDate(received.submission.occurredAt);
  const identities = await Promise.all(
    received.submission.subjects.map((subject) => resolveSubject(snapshot, subject, onDate)),
  );
  return { identities, directoryVersion: snapshot.version.contentHash };
}

/** The identity stage: received -> identified, with one audit event per subject, in one transaction. */
export function identityStage(directory: FileDirectory, now: () => Date) {
  return bindStage(STEPS.identity, {
    handle: async ({ value: received }): Promise<Output[]> => {
      const { identities, directoryVersion } = await identify(directory, received);
      const ref = incidentRef(received.force, received.incidentId);
      const at = now();
      return [
        output(daIncidentIdentifiedTopic, { key: ref, value: { received, identities, directoryVersion } }),
        ...identities.map((identity) =>
          output(auditEventsTopic, {
            key: received.receiptId,
            value:
              identity.outcome === 'matched'
                ? auditEvent(SERVICE, 'subject-matched', at, {
                    receiptId: received.receiptId,
                    incidentRef: ref,
                    subjectRef: identity.ref,
                    nhsNumber: identity.nhsNumber,
                    reason: identity.matchedBy,
                  })
                : auditEvent(SERVICE, 'subject-unmatched', at, {
                    receiptId: received.receiptId,
                    incidentRef: ref,
                    subjectRef: identity.ref,
                    // The number the force gave, if any, so IG can find a mismatch by the number that was used.
                    nhsNumber: received.submission.subjects.find((s) => s.ref === identity.ref)?.nhsNumber ?? null,
                    reason: identity.reason,
                  }),
          }),
        ),
      ];
    },
  });
}
