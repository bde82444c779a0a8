import { z } from 'zod';
import { forceCode, isoDate, isoDateTime, nhsNumber, onsCode, postcode } from './identifiers.ts';

/**
 * The police push of a domestic-abuse incident: `POST /v1/domestic-abuse-incidents` (role police). The force
 * comes from the caller's token, never from the body. Every list and string has an explicit bound; unknown
 * fields are refused (`.strict()`), so a typo never silently drops information.
 */
export const DA_LIMITS = {
  subjects: 20,
  circumstancesChars: 4_000,
  nameChars: 100,
  incidentIdChars: 64,
  subjectRefChars: 32,
  officerFieldChars: 100,
  repeatIncidents: 1_000,
} as const;

export const DASH_LEVELS = ['standard', 'medium', 'high'] as const;
export type DashLevel = (typeof DASH_LEVELS)[number];

export const SUBJECT_ROLES = ['victim', 'perpetrator', 'child', 'other-adult'] as const;
export type SubjectRole = (typeof SUBJECT_ROLES)[number];

export const VICTIM_CONSENT = ['given', 'refused', 'not-sought'] as const;
export type VictimConsent = (typeof VICTIM_CONSENT)[number];

const boundedText = (max: number) => z.string().trim().min(1).max(max);

export const personName = z
  .object({
    given: boundedText(DA_LIMITS.nameChars),
    family: boundedText(DA_LIMITS.nameChars),
  })
  .strict();

export const incidentSubject = z
  .object({
    /** The force's own reference for this person within the incident; unique within it. */
    ref: z.string().regex(/^[A-Za-z0-9._-]{1,32}$/, 'must be 1 to 32 letters, digits, dots, underscores or hyphens'),
    role: z.enum(SUBJECT_ROLES),
    nhsNumber: nhsNumber.optional(),
    name: personName,
    birthDate: isoDate,
    postcode: postcode.optional(),
  })
  .strict();
export type IncidentSubject = z.infer<typeof incidentSubject>;

export const dashAssessment = z
  .object({
    level: z.enum(DASH_LEVELS),
    /** "Yes" answers on the 24-question SafeLives DASH checklist. */
    yesCount: z.int().min(0).max(24).optional(),
    /** The officer's professional judgement that the risk is high; raises, never lowers. */
    professionalJudgement: z.boolean().optional(),
  })
  .strict();

export const officerContact = z
  .object({
    name: boundedText(DA_LIMITS.officerFieldChars),
    collarNumber: z.string().regex(/^[A-Za-z0-9-]{1,20}$/, 'must be 1 to 20 letters, digits or hyphens'),
    phone: z.string().regex(/^\+?[0-9 ]{6,20}$/, 'must be a telephone number'),
    email: z.email().max(DA_LIMITS.officerFieldChars).optional(),
  })
  .strict();

export const daIncidentSubmission = z
  .object({
    incidentId: z.string().regex(/^[A-Za-z0-9/._-]{1,64}$/, 'must be 1 to 64 letters, digits or / . _ -'),
    occurredAt: isoDateTime,
    reportedAt: isoDateTime,
    /** ONS code of the local authority where the incident happened: decides the MARAC and exceptions inbox. */
    localAuthority: onsCode,
    dash: dashAssessment,
    repeatIncidentsLast12Months: z.int().min(0).max(DA_LIMITS.repeatIncidents),
    childrenPresent: z.boolean(),
    victimConsent: z.enum(VICTIM_CONSENT),
    circumstances: z.string().trim().max(DA_LIMITS.circumstancesChars),
    subjects: z.array(incidentSubject).min(1).max(DA_LIMITS.subjects),
    officer: officerContact,
  })
  .strict()
  .superRefine((incident, context) => {
    if (Date.parse(incident.reportedAt) < Date.parse(incident.occurredAt)) {
      context.addIssue({ code: 'custom', path: ['reportedAt'], message: 'must not be before occurredAt' });
    }
    const seen = new Set<string>();
    incident.subjects.forEach((subject, index) => {
      if (seen.has(subject.ref)) {
        context.addIssue({
          code: 'custom',
          path: ['subjects', index, 'ref'],
          message: 'must be unique within the incident',
        });
      }
      seen.add(subject.ref);
      if (subject.birthDate > incident.occurredAt.slice(0, 10)) {
        context.addIssue({
          code: 'custom',
          path: ['subjects', index, 'birthDate'],
          message: 'must not be after the incident',
        });
      }
    });
  })
  .describe(
    'A domestic-abuse incident from a police force. Also checked: reportedAt is not before occurredAt; subject ' +
      "refs are unique within the incident; no subject's birthDate is after the incident date.",
  );
export type DaIncidentSubmission = z.infer<typeof daIncidentSubmission>;

/** What the police gateway records on Kafka for each accepted submission (the record of what was received). */
export const daIncidentReceived = z
  .object({
    /** Derived from force, incident id and content: the same submission always gets the same receipt. */
    receiptId: z.string().regex(/^rcpt_[a-f0-9]{32}$/),
    force: forceCode,
    incidentId: z.string().min(1).max(DA_LIMITS.incidentIdChars),
    /** sha-256 of the canonical submission; a different hash for the same incident is an amendment. */
    contentHash: z.string().regex(/^[a-f0-9]{64}$/),
    /** The receipt this submission amends, or null for the first version. */
    amendsReceiptId: z
      .string()
      .regex(/^rcpt_[a-f0-9]{32}$/)
      .nullable(),
    receivedAt: isoDateTime,
    submittedBy: z.string().min(1).max(100),
    submission: daIncidentSubmission,
  })
  .strict();
export type DaIncidentReceived = z.infer<typeof daIncidentReceived>;
