import { hubEnv } from '@hub/hub';
import { StatefulSet } from 'kubernetes-models/apps/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Service, ServiceAccount } from 'kubernetes-models/v1';
import { isObject, podContainers, podSpec, splitImage, type Json, type KubernetesObject } from './kustomize.ts';

/*
 * What infra/k8s must satisfy: the Kubernetes schemas (kubernetes-models) and the rules that matter for the hub.
 * Each rule returns readable violations, so a test can show that a broken manifest is caught and why.
 */

/** The schema of each kind infra/k8s may use; a kind missing here is refused until its schema is added. */
const SCHEMAS: Record<string, (object: KubernetesObject) => void> = {
  'apps/v1 StatefulSet': (object) => {
    new StatefulSet(object).validate();
  },
  'v1 Service': (object) => {
    new Service(object).validate();
  },
  'v1 ServiceAccount': (object) => {
    new ServiceAccount(object).validate();
  },
  'v1 ConfigMap': (object) => {
    new ConfigMap(object).validate();
  },
  'policy/v1 PodDisruptionBudget': (object) => {
    new PodDisruptionBudget(object).validate();
  },
  'networking.k8s.io/v1 NetworkPolicy': (object) => {
    new NetworkPolicy(object).validate();
  },
};

/** Where each object breaks its Kubernetes schema (types, required fields, enums, formats); empty when valid. */
export function schemaErrors(objects: readonly KubernetesObject[]): string[] {
  return objects.flatMap((object) => {
    const where = `${object.kind}/${object.metadata.name}`;
    const validate = SCHEMAS[`${object.apiVersion} ${object.kind}`];
    if (validate === undefined) return [`${where}: no schema for ${object.apiVersion} ${object.kind} in k8s-rules.ts`];
    try {
      validate(object);
      return [];
    } catch (error) {
      return [`${where}: ${error instanceof Error ? error.message : String(error)}`];
    }
  });
}

/** The value at `path` below `value`, or undefined where any step is missing. */
function at(value: Json | undefined, ...path: (string | number)[]): Json | undefined {
  let current = value;
  for (const key of path) {
    if (typeof key === 'number') current = Array.isArray(current) ? current[key] : undefined;
    else current = isObject(current) ? current[key] : undefined;
  }
  return current;
}

/** A value for a message: strings as they are, anything else as JSON. */
function text(value: Json | undefined): string {
  if (value === undefined) return 'nothing';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function list(value: Json | undefined): Json[] {
  return Array.isArray(value) ? value : [];
}

function labelsMatch(selector: Json | undefined, labels: Json | undefined): boolean {
  const wanted = at(selector, 'matchLabels');
  return (
    isObject(wanted) &&
    Object.keys(wanted).length > 0 &&
    Object.entries(wanted).every(([key, value]) => at(labels, key) === value)
  );
}

const HUB_ENV_KEYS = new Set(Object.keys(hubEnv.shape));
/** Keys whose value is a path the hub checks exists at start; here it must lie in a mounted volume instead. */
const FILE_KEY = /_FILE$/;

/**
 * Keys a build must set although the hub has a default, because the default is wrong for a deployment and no rule
 * would see it: AUDIT_LOG_KEY_FILE defaults to `audit-log.skey` beside HUB_SIGNING_KEYS_FILE, a path no mounted item
 * holds (the mounted-file check below sees only values that are set), and AUDIT_LOG_ORIGIN to a `.invalid`
 * placeholder that witnesses and auditors would be handed as the log's name.
 */
const EXPLICIT_KEYS = ['AUDIT_LOG_KEY_FILE', 'AUDIT_LOG_ORIGIN'] as const;

/** Every container runs as non-root, read-only, unprivileged, without capabilities, under RuntimeDefault seccomp. */
function containerSecurityViolations(objects: readonly KubernetesObject[]): string[] {
  return objects.flatMap((object) => {
    const spec = podSpec(object);
    if (spec === undefined) return [];
    const pod = spec['securityContext'];
    return podContainers([object]).flatMap((container) => {
      const where = `${object.kind}/${object.metadata.name} container ${text(container['name'])}`;
      const own = container['securityContext'];
      // A container's own setting wins over the pod's, as in Kubernetes.
      const effective = (key: string): Json | undefined => at(own, key) ?? at(pod, key);
      const problems: string[] = [];
      if (effective('runAsNonRoot') !== true) problems.push(`${where}: runAsNonRoot must be true`);
      const user = effective('runAsUser');
      if (user === 0) problems.push(`${where}: runAsUser must not be 0`);
      if (at(own, 'readOnlyRootFilesystem') !== true) problems.push(`${where}: readOnlyRootFilesystem must be true`);
      if (at(own, 'allowPrivilegeEscalation') !== false) {
        problems.push(`${where}: allowPrivilegeEscalation must be false`);
      }
      if (at(own, 'privileged') === true) problems.push(`${where}: must not be privileged`);
      if (!list(at(own, 'capabilities', 'drop')).includes('ALL')) problems.push(`${where}: must drop ALL capabilities`);
      if (list(at(own, 'capabilities', 'add')).length > 0) problems.push(`${where}: must add no capabilities`);
      if (effective('seccompProfile') === undefined || at(effective('seccompProfile'), 'type') !== 'RuntimeDefault') {
        problems.push(`${where}: seccompProfile must be RuntimeDefault`);
      }
      const tmp = list(container['volumeMounts']).find((mount) => at(mount, 'mountPath') === '/tmp');
      const tmpVolume = list(spec['volumes']).find((volume) => at(volume, 'name') === at(tmp, 'name'));
      if (at(tmpVolume, 'emptyDir') === undefined) problems.push(`${where}: /tmp must be an emptyDir`);
      return problems;
    });
  });
}

/** Every image names a tag other than `latest`, or a digest. */
function imageViolations(objects: readonly KubernetesObject[]): string[] {
  return podContainers(objects).flatMap((container) => {
    const image = typeof container['image'] === 'string' ? container['image'] : '';
    const { suffix } = splitImage(image);
    const pinned =
      /^@sha256:[0-9a-f]{64}$/.test(suffix) || (/^:[\w][\w.-]{0,127}$/.test(suffix) && suffix !== ':latest');
    return pinned ? [] : [`container ${text(container['name'])}: image ${image} must be pinned by a tag (not latest)`];
  });
}

/** No Secret carries data: secrets are created by the operator, never kept in the repository. */
export function inlineSecretViolations(documents: readonly Json[], where: string): string[] {
  const found: string[] = [];
  const visit = (value: Json): void => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (isObject(value)) {
      const data = value['data'] ?? value['stringData'];
      if (value['kind'] === 'Secret' && data !== undefined && data !== null && Object.keys(data).length > 0) {
        found.push(`${where}: a Secret with inline data`);
      }
      Object.values(value).forEach(visit);
    }
  };
  documents.forEach(visit);
  return found;
}

function hubStatefulSet(objects: readonly KubernetesObject[]): KubernetesObject | undefined {
  return objects.find((object) => object.kind === 'StatefulSet' && object.metadata.name === 'hub');
}

/** The hub's environment: known keys, values the hub accepts, files inside mounted volumes, its instance name. */
function environmentViolations(objects: readonly KubernetesObject[], hub: KubernetesObject): string[] {
  const spec = podSpec(hub);
  const container = list(spec?.['containers']).find((c) => at(c, 'name') === 'hub');
  const problems: string[] = [];
  const env = new Map<string, Json>();
  for (const source of list(at(container, 'envFrom'))) {
    const name = at(source, 'configMapRef', 'name');
    const configMap = objects.find((object) => object.kind === 'ConfigMap' && object.metadata.name === name);
    if (configMap === undefined) problems.push(`envFrom names ConfigMap ${text(name)}, which is not in the build`);
    const data = at(configMap, 'data');
    if (isObject(data)) for (const [key, value] of Object.entries(data)) env.set(key, value);
  }
  for (const variable of list(at(container, 'env'))) {
    const name = at(variable, 'name');
    if (typeof name === 'string') env.set(name, at(variable, 'value') ?? { from: at(variable, 'valueFrom') ?? null });
  }

  // A key the hub cannot start without (no default) must be set, or every pod would fail at start.
  for (const [key, schema] of Object.entries(hubEnv.shape)) {
    if (!env.has(key) && !schema.safeParse(undefined).success)
      problems.push(`${key} is required by the hub but not set`);
  }
  for (const key of EXPLICIT_KEYS) {
    if (!env.has(key)) problems.push(`${key} must be set: the hub's default does not suit a deployment`);
  }
  if (at(env.get('KAFKA_INSTANCE_NAME'), 'from', 'fieldRef', 'fieldPath') !== 'metadata.name') {
    problems.push('KAFKA_INSTANCE_NAME must come from the pod name (valueFrom.fieldRef.fieldPath: metadata.name)');
  }
  for (const [key, value] of env) {
    if (!HUB_ENV_KEYS.has(key)) {
      problems.push(`${key} is not a key the hub reads (services/hub/README.md)`);
      continue;
    }
    if (typeof value !== 'string') continue;
    if (FILE_KEY.test(key)) {
      const mounted = list(at(container, 'volumeMounts')).some((mount) => {
        const volume = list(spec?.['volumes']).find((v) => at(v, 'name') === at(mount, 'name'));
        const items = list(at(volume, 'secret', 'items') ?? at(volume, 'configMap', 'items'));
        return items.some((item) => `${text(at(mount, 'mountPath'))}/${text(at(item, 'path'))}` === value);
      });
      if (!mounted) problems.push(`${key} must name a file of a mounted Secret or ConfigMap item`);
    } else {
      const parsed = hubEnv.shape[key as keyof typeof hubEnv.shape].safeParse(value);
      if (!parsed.success) problems.push(`${key}: ${parsed.error.issues.map((issue) => issue.message).join('; ')}`);
      // A password in a URL belongs in a Secret (secretKeyRef), never in a ConfigMap.
      if (URL.canParse(value) && new URL(value).password !== '') problems.push(`${key} holds a password`);
    }
  }
  return problems;
}

/** Probes on the hub's health routes (packages/http/src/health.ts), on the port the hub listens on. */
function probeViolations(objects: readonly KubernetesObject[], hub: KubernetesObject): string[] {
  const container = list(podSpec(hub)?.['containers']).find((c) => at(c, 'name') === 'hub');
  const configMap = objects.find((object) => object.kind === 'ConfigMap' && object.metadata.name === 'hub-config');
  const listenPort = Number(at(configMap, 'data', 'HTTP_PORT') ?? 8080);
  const httpPort = list(at(container, 'ports')).find((port) => at(port, 'name') === 'http');
  const problems: string[] = [];
  if (at(httpPort, 'containerPort') !== listenPort) problems.push(`the http port must be ${listenPort} (HTTP_PORT)`);
  const expected = { startupProbe: '/health/live', livenessProbe: '/health/live', readinessProbe: '/health/ready' };
  for (const [probe, path] of Object.entries(expected)) {
    const get = at(container, probe, 'httpGet');
    if (at(get, 'path') !== path) problems.push(`${probe} must GET ${path}`);
    const port = at(get, 'port');
    if (port !== 'http' && port !== listenPort) problems.push(`${probe} must use the http port`);
  }
  const requests = at(container, 'resources', 'requests');
  const limits = at(container, 'resources', 'limits');
  for (const resource of ['cpu', 'memory']) {
    if (at(requests, resource) === undefined || at(limits, resource) === undefined) {
      problems.push(`resources must set requests and limits for ${resource}`);
    }
  }
  return problems;
}

/** The hub's pods are selected by a PodDisruptionBudget, a Service on the http port, and a deny-by-default policy. */
function neighbourViolations(objects: readonly KubernetesObject[], hub: KubernetesObject): string[] {
  const podLabels = at(hub, 'spec', 'template', 'metadata', 'labels');
  const selecting = (kind: string) =>
    objects.filter(
      (object) =>
        object.kind === kind &&
        (labelsMatch(at(object, 'spec', 'selector'), podLabels) ||
          labelsMatch(at(object, 'spec', 'podSelector'), podLabels) ||
          (kind === 'Service' && labelsMatch({ matchLabels: at(object, 'spec', 'selector') ?? null }, podLabels))),
    );
  const problems: string[] = [];
  if (selecting('PodDisruptionBudget').length === 0) problems.push('no PodDisruptionBudget selects the hub');
  const services = selecting('Service');
  if (!services.some((service) => service.metadata.name === at(hub, 'spec', 'serviceName'))) {
    problems.push('the StatefulSet serviceName must be a Service selecting the hub');
  }
  const policies = selecting('NetworkPolicy');
  if (policies.length === 0) problems.push('no NetworkPolicy selects the hub');
  for (const policy of policies) {
    const types = list(at(policy, 'spec', 'policyTypes'));
    if (!types.includes('Ingress') || !types.includes('Egress')) {
      problems.push(`NetworkPolicy/${policy.metadata.name} must govern both Ingress and Egress`);
    }
    for (const rule of list(at(policy, 'spec', 'ingress'))) {
      // An empty `from` or `ports` would allow every source or every port.
      const from = list(at(rule, 'from'));
      if (from.length === 0 || from.some((peer) => at(peer, 'namespaceSelector') === undefined)) {
        problems.push(`NetworkPolicy/${policy.metadata.name}: every ingress rule must name the gateway's namespace`);
      }
      const ports = list(at(rule, 'ports'));
      if (ports.length === 0 || ports.some((port) => at(port, 'port') !== 'http')) {
        problems.push(`NetworkPolicy/${policy.metadata.name}: ingress only to the http port`);
      }
    }
    for (const rule of list(at(policy, 'spec', 'egress'))) {
      if (list(at(rule, 'to')).length === 0 || list(at(rule, 'ports')).length === 0) {
        problems.push(`NetworkPolicy/${policy.metadata.name}: every egress rule must name its destination and ports`);
      }
    }
  }
  return problems;
}

/** Secret and ConfigMap volumes are readable by the hub's user and group only. */
function volumeModeViolations(hub: KubernetesObject): string[] {
  return list(podSpec(hub)?.['volumes']).flatMap((volume) => {
    const source = at(volume, 'secret') ?? at(volume, 'configMap');
    if (source === undefined) return [];
    const mode = at(source, 'defaultMode');
    return typeof mode === 'number' && (mode & 0o007) === 0
      ? []
      : [`volume ${text(at(volume, 'name'))}: defaultMode must give others no access (e.g. 0440)`];
  });
}

/** Every hub-specific rule, over one build (the base or an overlay). Empty when the build is sound. */
export function hubRuleViolations(objects: readonly KubernetesObject[]): string[] {
  const hub = hubStatefulSet(objects);
  if (hub === undefined) return ['no StatefulSet named hub'];
  return [
    ...containerSecurityViolations(objects),
    ...imageViolations(objects),
    ...inlineSecretViolations(objects, 'the build'),
    ...environmentViolations(objects, hub),
    ...probeViolations(objects, hub),
    ...neighbourViolations(objects, hub),
    ...volumeModeViolations(hub),
  ];
}
