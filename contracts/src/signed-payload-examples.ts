import type { CpAccessNotification, CpException, CpGpNotification, CpPlanRefusedNotice } from './child-protection.ts';
import type { DeliveryEscalation, EscalationClosed, NonDeliveryReport } from './deadlines.ts';
import { contentHash, contentId } from './ids.ts';
import type { DaWithdrawal, GpDaNotification, IdentityExceptionItem, MaracReferral } from './notifications.ts';

/**
 * One realistic example of each signed payload kind, for the generated documents. Synthetic only: the people,
 * practices and authorities of `infra/seed/` (NHS numbers in the 999 test range), an invented force reference and
 * officer, phone numbers in Ofcom's drama ranges. Ids are derived the way the hub derives them (`ids.ts`, the
 * formulas in `notifications.ts` and `child-protection.ts`), so an example's ids are consistent with each other.
 * Wording (`practiceRequest`, `request`) is quoted from the policies in `packages/policy/policies/`.
 */

const DA_POLICY = 'da-2026.11.2';
const CP_POLICY = 'cp-2026.12.1';
const FORCE = 'ASP';
const SOMERSET = { ons: 'E06000066', name: 'Somerset Council' } as const;
const OFFICER = { name: 'PC Jordan Example', collarNumber: 'AS1234', phone: '01632 960000' } as const;
const GP_MARKERS = {
  confidential: true,
  containsThirdPartyInformation: true,
  withholdFromPatientOnlineAccess: true,
} as const;

/** The seed's DA family (infra/seed/README.md), all registered in Somerset. */
const WHITLOCK = {
  sarah: { nhsNumber: '9991001018', name: { given: 'Sarah', family: 'Whitlock' }, birthDate: '1991-04-12' },
  daniel: { nhsNumber: '9991001026', name: { given: 'Daniel', family: 'Whitlock' }, birthDate: '1988-09-30' },
  mia: { nhsNumber: '9991001034', name: { given: 'Mia', family: 'Whitlock' }, birthDate: '2016-06-03' },
  leo: { nhsNumber: '9991001042', name: { given: 'Leo', family: 'Whitlock' }, birthDate: '2020-02-14' },
} as const;

// ---------------------------------------------------------------------------------------------------------------
// Domestic abuse: the Whitlock incident (high risk, MARAC), its amendment, and another incident's exception
// ---------------------------------------------------------------------------------------------------------------

const INCIDENT = { force: FORCE, incidentId: 'ASP-2026-004417' } as const;
const RECEIPT = contentId('rcpt', FORCE, INCIDENT.incidentId, contentHash({ example: 'whitlock' }), '');

function daIds(receiptId: string, kind: string, recipient: string, subjectRef: string | null, rule: string) {
  return {
    notificationId: contentId('ntf', receiptId, recipient, subjectRef ?? '', kind, DA_POLICY),
    receiptId,
    decisionId: contentId('dec', receiptId, rule, subjectRef ?? '', recipient, DA_POLICY),
    policyVersion: DA_POLICY,
    amends: null,
  };
}

const gpVictim = {
  kind: 'da-gp-notification',
  ...daIds(RECEIPT, 'da-gp-notification', 'gp:L85901', 'V1', 'DA-VICTIM-MARAC'),
  recipient: 'gp:L85901',
  rule: 'DA-VICTIM-MARAC',
  patient: { nhsNumber: WHITLOCK.sarah.nhsNumber, name: WHITLOCK.sarah.name },
  role: 'victim',
  incident: { ...INCIDENT, occurredOn: '2026-11-21' },
  effectiveRisk: 'high',
  childrenInvolved: true,
  maracReferralMade: true,
  officer: OFFICER,
  practiceRequest:
    "Record on the patient's record as confidential third-party information, hidden from patient and proxy " +
    'online access. The incident meets the criteria for a MARAC referral: the MARAC may ask the practice to ' +
    'research its records before the meeting and may send actions after it; route these to the practice ' +
    "safeguarding lead. Take the patient's safety into account when contacting them.",
  markers: GP_MARKERS,
} satisfies GpDaNotification;

const gpPerpetrator = {
  kind: 'da-gp-notification',
  ...daIds(RECEIPT, 'da-gp-notification', 'gp:L85904', 'P1', 'DA-PERPETRATOR'),
  recipient: 'gp:L85904',
  rule: 'DA-PERPETRATOR',
  patient: { nhsNumber: WHITLOCK.daniel.nhsNumber, name: WHITLOCK.daniel.name },
  role: 'perpetrator',
  incident: { ...INCIDENT, occurredOn: '2026-11-21' },
  maracReferralMade: true,
  officer: OFFICER,
  practiceRequest:
    "Record on the patient's record as confidential third-party information, hidden from patient and proxy " +
    'online access. Do not disclose this notification or the allegation to the patient. The incident meets the ' +
    'criteria for a MARAC referral: the MARAC may ask the practice to research its records; route requests to ' +
    'the practice safeguarding lead.',
  markers: GP_MARKERS,
} satisfies GpDaNotification;

const gpChild = {
  kind: 'da-gp-notification',
  ...daIds(RECEIPT, 'da-gp-notification', 'gp:L85902', 'C2', 'DA-CHILD'),
  recipient: 'gp:L85902',
  rule: 'DA-CHILD',
  patient: { nhsNumber: WHITLOCK.leo.nhsNumber, name: WHITLOCK.leo.name },
  role: 'child',
  incident: { ...INCIDENT, occurredOn: '2026-11-21' },
  effectiveRisk: 'high',
  childrenInvolved: true,
  maracReferralMade: true,
  officer: OFFICER,
  practiceRequest:
    "Record on this child's record as confidential third-party information, hidden from patient and proxy " +
    "online access. In line with the practice's safeguarding procedures, consider whether this child needs a " +
    "safeguarding review or health follow-up. Children's social care, the police or the MARAC may ask the " +
    'practice for information; route requests to the practice safeguarding lead.',
  markers: GP_MARKERS,
} satisfies GpDaNotification;

const maracReferral = {
  kind: 'da-marac-referral',
  ...daIds(RECEIPT, 'da-marac-referral', `marac:${SOMERSET.ons}`, null, 'DA-MARAC'),
  recipient: `marac:${SOMERSET.ons}`,
  incident: {
    ...INCIDENT,
    occurredAt: '2026-11-21T22:40:00Z',
    reportedAt: '2026-11-21T23:05:00Z',
    localAuthority: SOMERSET.ons,
  },
  dash: { level: 'high', yesCount: 15 },
  effectiveRisk: 'high',
  criteriaMet: ['high-risk'],
  repeatIncidentsLast12Months: 1,
  maracRepeatThreshold: 3,
  childrenPresent: true,
  victimConsent: 'not-sought',
  circumstances: 'Physical assault in the kitchen; children upstairs; neighbour called 999.',
  subjects: [
    {
      ref: 'V1',
      role: 'victim',
      isChild: false,
      name: WHITLOCK.sarah.name,
      birthDate: WHITLOCK.sarah.birthDate,
      postcode: 'TA1 3RE',
      submittedNhsNumber: WHITLOCK.sarah.nhsNumber,
      identity: {
        outcome: 'matched',
        nhsNumber: WHITLOCK.sarah.nhsNumber,
        practiceOds: 'L85901',
        matchedBy: 'nhs-number',
      },
    },
    {
      ref: 'P1',
      role: 'perpetrator',
      isChild: false,
      name: WHITLOCK.daniel.name,
      birthDate: WHITLOCK.daniel.birthDate,
      postcode: 'TA1 3RE',
      submittedNhsNumber: WHITLOCK.daniel.nhsNumber,
      identity: {
        outcome: 'matched',
        nhsNumber: WHITLOCK.daniel.nhsNumber,
        practiceOds: 'L85904',
        matchedBy: 'nhs-number',
      },
    },
    {
      ref: 'C1',
      role: 'child',
      isChild: true,
      name: WHITLOCK.mia.name,
      birthDate: WHITLOCK.mia.birthDate,
      postcode: 'TA1 3RE',
      identity: {
        outcome: 'matched',
        nhsNumber: WHITLOCK.mia.nhsNumber,
        practiceOds: 'L85901',
        matchedBy: 'demographic-trace',
      },
    },
    {
      ref: 'C2',
      role: 'child',
      isChild: true,
      name: WHITLOCK.leo.name,
      birthDate: WHITLOCK.leo.birthDate,
      submittedNhsNumber: WHITLOCK.leo.nhsNumber,
      identity: {
        outcome: 'matched',
        nhsNumber: WHITLOCK.leo.nhsNumber,
        practiceOds: 'L85902',
        matchedBy: 'nhs-number',
      },
    },
  ],
  officer: OFFICER,
  markers: { confidential: true, containsThirdPartyInformation: true },
} satisfies MaracReferral;

/** Another incident: the victim is Tom Ashdown, whose registration ended in 2024 (seed: no current practice). */
const ASHDOWN_INCIDENT = { force: FORCE, incidentId: 'ASP-2026-004431' } as const;
const ASHDOWN_RECEIPT = contentId('rcpt', FORCE, ASHDOWN_INCIDENT.incidentId, contentHash({ example: 'ashdown' }), '');

const daException = {
  kind: 'da-exception',
  ...daIds(ASHDOWN_RECEIPT, 'da-exception', `exceptions:${SOMERSET.ons}`, 'V1', 'DA-EXCEPTION'),
  recipient: `exceptions:${SOMERSET.ons}`,
  localAuthority: SOMERSET.ons,
  incident: { ...ASHDOWN_INCIDENT, occurredOn: '2026-11-20' },
  reason: 'no-registered-practice',
  pendingRule: 'DA-VICTIM-MARAC',
  subject: {
    ref: 'V1',
    role: 'victim',
    name: { given: 'Tom', family: 'Ashdown' },
    birthDate: '1979-03-05',
    postcode: 'BA20 1PL',
    submittedNhsNumber: '9991002030',
  },
  markers: { confidential: true },
} satisfies IdentityExceptionItem;

/**
 * The force amended the Whitlock incident (the DASH assessment corrected to medium, no MARAC criteria met): the
 * perpetrator's notification is no longer shared, so his practice is told to withdraw it.
 */
const AMENDING_RECEIPT = contentId(
  'rcpt',
  FORCE,
  INCIDENT.incidentId,
  contentHash({ example: 'whitlock amended' }),
  RECEIPT,
);
const daWithdrawal = {
  kind: 'da-withdrawal',
  notificationId: contentId(
    'ntf',
    AMENDING_RECEIPT,
    'gp:L85904',
    gpPerpetrator.notificationId,
    'da-withdrawal',
    DA_POLICY,
  ),
  receiptId: AMENDING_RECEIPT,
  decisionId: contentId('dec', AMENDING_RECEIPT, 'DA-PERPETRATOR', 'P1', '', DA_POLICY),
  policyVersion: DA_POLICY,
  amends: gpPerpetrator.notificationId,
  recipient: 'gp:L85904',
  withdraws: gpPerpetrator.notificationId,
  incident: INCIDENT,
  reason: 'no-longer-shared',
  request:
    `The police amended this incident and, under the information-sharing policy, notification ` +
    `${gpPerpetrator.notificationId} is no longer shared with you. Remove the entry or item made from it, or mark ` +
    'it as withdrawn, following your records procedures, and take no further action on it. Do not contact anyone ' +
    'named in it about it. Route questions to your safeguarding lead, quoting both notification ids.',
  markers: { confidential: true },
} satisfies DaWithdrawal;

// ---------------------------------------------------------------------------------------------------------------
// Child protection: Somerset's plans, a look-up in an emergency department, a refused plan
// ---------------------------------------------------------------------------------------------------------------

const SOMERSET_CONTACT = {
  team: 'Taunton Children and Families',
  officeHoursPhone: '01632 960100',
  outOfHoursPhone: '01632 960199',
} as const;

function cpIds(sourceId: string, kind: string, recipient: string, rule: CpGpNotification['rule']) {
  return {
    notificationId: contentId('ntf', sourceId, recipient, kind, CP_POLICY),
    decisionId: contentId('dec', sourceId, rule, recipient, CP_POLICY),
    policyVersion: CP_POLICY,
    rule,
  };
}

function planVersion(planId: string, example: string): string {
  return contentId('cpv', SOMERSET.ons, planId, contentHash({ example }), '');
}

const MIA_PLAN = { planId: 'SOM-CPP-2026-0142', versionId: planVersion('SOM-CPP-2026-0142', 'mia') } as const;

const cpGpChild = {
  kind: 'cp-gp-notification',
  ...cpIds(MIA_PLAN.versionId, 'cp-gp-notification', 'gp:L85901', 'CP-GP-PLAN'),
  recipient: 'gp:L85901',
  plan: {
    localAuthority: SOMERSET.ons,
    ...MIA_PLAN,
    type: 'child-protection-plan',
    change: 'started',
    startDate: '2026-09-01',
    endDate: null,
    expectedDeliveryDate: null,
  },
  patient: WHITLOCK.mia,
  patientIs: 'child',
  recordConcept: {
    system: 'http://snomed.info/sct',
    code: '342191000000101',
    display: 'Subject to child protection plan',
  },
  localAuthority: { ...SOMERSET, ...SOMERSET_CONTACT },
  practiceRequest:
    'Record that this child is subject to a child protection plan from the start date, using the concept given, ' +
    'as confidential and hidden from patient and proxy online access. Make the practice safeguarding lead aware. ' +
    'Contact the local authority on the numbers given before sharing anything about the plan with the family.',
  markers: GP_MARKERS,
} satisfies CpGpNotification;

const PARSONS_PLAN = { planId: 'SOM-UCPP-2026-0019', versionId: planVersion('SOM-UCPP-2026-0019', 'parsons') } as const;

const cpGpExpectantMother = {
  kind: 'cp-gp-notification',
  ...cpIds(PARSONS_PLAN.versionId, 'cp-gp-notification', 'gp:L85902', 'CP-GP-PLAN'),
  recipient: 'gp:L85902',
  plan: {
    localAuthority: SOMERSET.ons,
    ...PARSONS_PLAN,
    type: 'unborn-child-protection-plan',
    change: 'started',
    startDate: '2026-10-14',
    endDate: null,
    expectedDeliveryDate: '2027-02-20',
  },
  patient: { nhsNumber: '9991002065', name: { given: 'Chloe', family: 'Parsons' }, birthDate: '1999-12-01' },
  patientIs: 'expectant-mother',
  recordConcept: {
    system: 'http://snomed.info/sct',
    code: '878111000000109',
    display: 'Unborn child is cause for safeguarding concern',
  },
  localAuthority: { ...SOMERSET, ...SOMERSET_CONTACT },
  practiceRequest:
    "Record on the mother's record that her unborn child is subject to a child protection plan, using the " +
    'concept given, as confidential third-party information hidden from patient and proxy online access. Make ' +
    'the practice safeguarding lead and the midwifery team aware. Do not discuss the plan with the mother or her ' +
    'family unless the local authority has agreed it.',
  markers: GP_MARKERS,
} satisfies CpGpNotification;

/** Poppy Lane's registration ended on 2026-03-31 (seed): no practice to route her plan to. */
const LANE_PLAN = { planId: 'SOM-CPP-2026-0157', versionId: planVersion('SOM-CPP-2026-0157', 'lane') } as const;

const cpException = {
  kind: 'cp-exception',
  ...cpIds(LANE_PLAN.versionId, 'cp-exception', `exceptions:${SOMERSET.ons}`, 'CP-EXCEPTION'),
  recipient: `exceptions:${SOMERSET.ons}`,
  plan: {
    localAuthority: SOMERSET.ons,
    ...LANE_PLAN,
    type: 'child-protection-plan',
    change: 'started',
    startDate: '2026-11-02',
    endDate: null,
    expectedDeliveryDate: null,
  },
  nhsNumber: '9991002073',
  reason: 'no-registered-practice',
  pendingRule: 'CP-GP-PLAN',
  markers: { confidential: true },
} satisfies CpException;

/** Look-up ids are random in the hub; a derived one keeps the example stable. */
const LOOKUP = contentId('lkp', 'example', 'mia');

const cpAccess = {
  kind: 'cp-access-notification',
  ...cpIds(LOOKUP, 'cp-access-notification', `la:${SOMERSET.ons}`, 'CP-ACCESS-UNSCHEDULED'),
  recipient: `la:${SOMERSET.ons}`,
  lookupId: LOOKUP,
  nhsNumber: WHITLOCK.mia.nhsNumber,
  plans: [{ planId: MIA_PLAN.planId, type: 'child-protection-plan' }],
  setting: { odsCode: 'RZ901', type: 'emergency-department' },
  accessedBy: 'RZ901',
  accessedAt: '2026-11-23T02:14:00Z',
  markers: { confidential: true },
} satisfies CpAccessNotification;

/** `9999000010`: a valid test-range number that is not in the seed directory. */
const REFUSED_PLAN_ID = 'SOM-CPP-2026-0163';
const REFUSAL = contentId('cpr', SOMERSET.ons, REFUSED_PLAN_ID, contentHash({ example: 'refused' }));

const cpRefused = {
  kind: 'cp-plan-refused',
  ...cpIds(REFUSAL, 'cp-plan-refused', `la:${SOMERSET.ons}`, 'CP-REFUSED'),
  recipient: `la:${SOMERSET.ons}`,
  refusalId: REFUSAL,
  planId: REFUSED_PLAN_ID,
  nhsNumber: '9999000010',
  reason: 'nhs-number-not-found',
  refusedAt: '2026-11-22T10:05:00Z',
  markers: { confidential: true },
} satisfies CpPlanRefusedNotice;

// ---------------------------------------------------------------------------------------------------------------
// Deadlines: the victim's practice did not fetch its high-risk notification (DL-DA-GP-HIGH, da-2026.12.1)
// ---------------------------------------------------------------------------------------------------------------

const LATE = {
  notificationId: gpVictim.notificationId,
  kind: 'da-gp-notification',
  recipient: 'gp:L85901',
  receiptId: RECEIPT,
  issuedAt: '2026-12-04T17:00:00.000Z',
} as const;
const LATE_RULE = { rule: 'DL-DA-GP-HIGH', policyVersion: 'da-2026.12.1' } as const;
const ESCALATION_ID = contentId('ntf', LATE.notificationId, 'delivery-escalation', 'fetch');

const deliveryEscalation = {
  kind: 'delivery-escalation',
  notificationId: ESCALATION_ID,
  recipient: `exceptions:${SOMERSET.ons}`,
  concerns: LATE,
  deadline: 'fetch',
  ...LATE_RULE,
  due: '2026-12-07T10:30:00.000Z',
  sender: `force:${FORCE}`,
  markers: { confidential: true },
} satisfies DeliveryEscalation;

const escalationClosed = {
  kind: 'escalation-closed',
  notificationId: contentId('ntf', LATE.notificationId, 'escalation-closed', 'fetch'),
  recipient: `exceptions:${SOMERSET.ons}`,
  closes: ESCALATION_ID,
  concerns: LATE,
  deadline: 'fetch',
  ...LATE_RULE,
  closedBy: 'fetched',
  at: '2026-12-07T11:05:12.000Z',
  markers: { confidential: true },
} satisfies EscalationClosed;

const nonDeliveryReport = {
  kind: 'non-delivery-report',
  notificationId: contentId('ntf', LATE.notificationId, 'non-delivery-report'),
  recipient: `force:${FORCE}`,
  concerns: { ...LATE, subjectRef: 'V1' },
  ...LATE_RULE,
  due: '2026-12-08T17:00:00.000Z',
  reached: 'delivered',
  escalatedTo: `exceptions:${SOMERSET.ons}`,
  markers: { confidential: true },
} satisfies NonDeliveryReport;

export interface PayloadExample {
  /** Short, for the documents' example lists. */
  readonly summary: string;
  readonly value: Readonly<Record<string, unknown>>;
}

export const SIGNED_PAYLOAD_EXAMPLES = {
  'da-gp-notification': [
    { summary: "To the victim's practice (high risk, MARAC referral made)", value: gpVictim },
    { summary: "To the perpetrator's practice: no risk level, no children", value: gpPerpetrator },
    { summary: "To a child's practice", value: gpChild },
  ],
  'da-marac-referral': [{ summary: "To the area's MARAC: the whole incident", value: maracReferral }],
  'da-exception': [{ summary: 'A victim with no current registered practice', value: daException }],
  'da-withdrawal': [{ summary: "An amendment no longer shares the perpetrator's notification", value: daWithdrawal }],
  'cp-gp-notification': [
    { summary: "A child protection plan started: to the child's practice", value: cpGpChild },
    { summary: "An unborn child protection plan started: to the mother's practice", value: cpGpExpectantMother },
  ],
  'cp-exception': [{ summary: 'A plan for a child with no registered practice', value: cpException }],
  'cp-access-notification': [{ summary: 'An emergency department looked the child up', value: cpAccess }],
  'cp-plan-refused': [{ summary: 'A plan refused: the NHS number is not known', value: cpRefused }],
  'delivery-escalation': [
    { summary: "The victim's practice did not fetch a high-risk notification in time", value: deliveryEscalation },
  ],
  'escalation-closed': [{ summary: 'The practice fetched it after the escalation', value: escalationClosed }],
  'non-delivery-report': [
    { summary: "To the force: its notification to the victim's practice was not delivered", value: nonDeliveryReport },
  ],
} as const satisfies Record<string, readonly PayloadExample[]>;
