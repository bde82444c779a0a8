import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { hubRuleViolations, inlineSecretViolations, schemaErrors } from './k8s-rules.ts';
import {
  applyJsonPatch,
  buildKustomization,
  podSpec,
  readYamlDocuments,
  type Json,
  type KubernetesObject,
} from './kustomize.ts';

// infra/k8s has no cluster to be applied to here: each build (the base and each overlay, as `kubectl apply -k`
// would make it) is checked against the Kubernetes schemas and the hub's own rules instead.
const K8S = fileURLToPath(new URL('../../infra/k8s/', import.meta.url));
const BUILDS = { base: 'base', local: 'overlays/local', production: 'overlays/production' } as const;

function build(name: keyof typeof BUILDS): KubernetesObject[] {
  return buildKustomization(join(K8S, BUILDS[name]));
}

function find(objects: readonly KubernetesObject[], kind: string, name: string): KubernetesObject {
  const object = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (object === undefined) throw new Error(`${kind}/${name} is missing`);
  return object;
}

/** The hub StatefulSet's pod spec and its `hub` container, for reading and for mutating in the failure cases. */
function hubPod(objects: readonly KubernetesObject[]) {
  const spec = podSpec(find(objects, 'StatefulSet', 'hub'));
  const containers = spec?.['containers'];
  const container = Array.isArray(containers) ? containers[0] : undefined;
  if (spec === undefined || typeof container !== 'object' || container === null || Array.isArray(container)) {
    throw new Error('the hub StatefulSet has no container');
  }
  return { spec, container };
}

function yamlFiles(directory: string): string[] {
  return readdirSync(directory, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.yaml') || file.endsWith('.yml'))
    .map((file) => join(directory, file));
}

describe.each(Object.keys(BUILDS) as (keyof typeof BUILDS)[])('infra/k8s %s', (name) => {
  const objects = build(name);

  it('holds the hub and what surrounds it', () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'ConfigMap/hub-config',
      'NetworkPolicy/hub',
      'PodDisruptionBudget/hub',
      'Service/hub',
      'Service/hub-headless',
      'ServiceAccount/hub',
      'StatefulSet/hub',
    ]);
  });

  it('validates against the Kubernetes schemas', () => {
    expect(schemaErrors(objects)).toEqual([]);
  });

  it("keeps the hub's rules: non-root read-only pods, probes, instance names, pinned images, no inline secrets", () => {
    expect(hubRuleViolations(objects)).toEqual([]);
  });

  /** `setting` names `file` of Secret `secretName`, mounted read-only at `directory`, readable through the pod's group (0440). */
  function expectSecretFile(setting: string, volume: string, secretName: string, directory: string, file: string) {
    expect(find(objects, 'ConfigMap', 'hub-config')['data']).toMatchObject({ [setting]: `${directory}/${file}` });
    expect(hubPod(objects).spec['volumes']).toContainEqual({
      name: volume,
      secret: { secretName, defaultMode: 0o440, items: [{ key: file, path: file }] },
    });
    expect(hubPod(objects).container['volumeMounts']).toContainEqual({
      name: volume,
      mountPath: directory,
      readOnly: true,
    });
  }

  it("mounts the audit log's key from its Secret, readable through the pod's group (0440), and names the log", () => {
    expectSecretFile(
      'AUDIT_LOG_KEY_FILE',
      'audit-log-key',
      'hub-audit-log-key',
      '/etc/hub/audit-log',
      'audit-log.skey',
    );
  });

  it('lets the hub reach the witness (namespace hub-witness, port 8090), which cosigns its checkpoints', () => {
    const egress = (find(objects, 'NetworkPolicy', 'hub')['spec'] as { egress: Json[] }).egress;
    expect(egress).toContainEqual({
      to: [
        {
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'hub-witness' } },
          podSelector: { matchLabels: { 'app.kubernetes.io/name': 'witness' } },
        },
      ],
      ports: [{ port: 8090, protocol: 'TCP' }],
    });
  });

  it("mounts the console's accounts from their Secret", () => {
    expectSecretFile(
      'CONSOLE_ACCOUNTS_FILE',
      'console-accounts',
      'hub-console-accounts',
      '/etc/hub/console-accounts',
      'accounts.json',
    );
  });
});

describe('the overlays', () => {
  it('local: one hub in its own namespace, on the image docker-compose.yml builds', () => {
    const objects = build('local');
    expect(find(objects, 'StatefulSet', 'hub')['spec']).toMatchObject({ replicas: 1 });
    expect(hubPod(objects).container['image']).toBe('safeguarding-hub/hub:local');
    expect(new Set(objects.map((o) => o.metadata['namespace']))).toEqual(new Set(['hub-local']));
  });

  it('production: three hubs, never two on one node, production sizes, Redis credentials from a Secret', () => {
    const objects = build('production');
    const { spec, container } = hubPod(objects);
    expect(find(objects, 'StatefulSet', 'hub')['spec']).toMatchObject({ replicas: 3 });
    expect(spec['affinity']).toMatchObject({
      podAntiAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: [
          {
            topologyKey: 'kubernetes.io/hostname',
            labelSelector: { matchLabels: { 'app.kubernetes.io/name': 'hub' } },
          },
        ],
      },
    });
    expect(container['resources']).toEqual({
      requests: { cpu: '1', memory: '1Gi' },
      limits: { cpu: '2', memory: '2Gi' },
    });
    expect(container['env']).toContainEqual({
      name: 'REDIS_URL',
      valueFrom: { secretKeyRef: { name: 'hub-redis', key: 'url' } },
    });
    expect(find(objects, 'ConfigMap', 'hub-config')['data']).not.toHaveProperty('REDIS_URL');
    expect(new Set(objects.map((o) => o.metadata['namespace']))).toEqual(new Set(['safeguarding-hub']));
  });

  it('production: the console on https (Secure __Host- cookie, the OIDC redirect), its provider reachable on 443', () => {
    const objects = build('production');
    const data = find(objects, 'ConfigMap', 'hub-config')['data'] as Record<string, string>;
    const publicUrl = new URL(data['CONSOLE_PUBLIC_URL'] ?? '');
    expect(publicUrl.protocol).toBe('https:');
    expect(publicUrl.hostname).not.toBe('127.0.0.1');
    expect(new URL(data['CONSOLE_OIDC_ISSUER'] ?? '').protocol).toBe('https:');
    expect(data['CONSOLE_OIDC_CLIENT_SECRET_FILE']).toBe('/etc/hub/console-oidc/client-secret');
    type Rule = { to?: { ipBlock?: { cidr: string } }[]; ports?: { port: number | string }[] };
    const egress = (find(objects, 'NetworkPolicy', 'hub')['spec'] as { egress: Rule[] }).egress;
    const https = egress.find((rule) => rule.ports?.some((port) => port.port === 443));
    expect(https?.ports).toEqual([{ port: 443, protocol: 'TCP' }]);
    expect(https?.to?.[0]?.ipBlock?.cidr).toMatch(/^[\d.]+\/\d+$/);
  });

  it("production: the gateway is a trusted proxy, so each client's address has its own rate limit budget", () => {
    const data = find(build('production'), 'ConfigMap', 'hub-config')['data'] as Record<string, Json>;
    expect(data['HTTP_TRUSTED_PROXIES']).toEqual(expect.any(String));
  });

  it("production: the audit log's own name, not the base's", () => {
    const origin = (name: keyof typeof BUILDS) =>
      (find(build(name), 'ConfigMap', 'hub-config')['data'] as Record<string, Json>)['AUDIT_LOG_ORIGIN'];
    expect(origin('production')).toEqual(expect.any(String));
    expect(origin('production')).not.toBe(origin('base'));
  });
});

describe('no Secret data in infra/k8s', () => {
  it.each(yamlFiles(K8S).map((file) => relative(K8S, file)))('%s', (file) => {
    expect(inlineSecretViolations(readYamlDocuments(join(K8S, file)), file)).toEqual([]);
  });
});

describe('a broken manifest fails', () => {
  // Each case breaks one thing in the production build and names the violation it must cause.
  const cases: { breaks: string; mutate: (objects: KubernetesObject[]) => void; violation: string | RegExp }[] = [
    {
      breaks: 'runAsNonRoot removed from the container and the pod',
      mutate: (objects) => {
        const { spec, container } = hubPod(objects);
        for (const context of [spec['securityContext'], container['securityContext']]) {
          if (typeof context === 'object' && context !== null && !Array.isArray(context))
            delete context['runAsNonRoot'];
        }
      },
      violation: 'StatefulSet/hub container hub: runAsNonRoot must be true',
    },
    {
      breaks: 'a writable root filesystem',
      mutate: (objects) => {
        hubPod(objects).container['securityContext'] = {
          ...(hubPod(objects).container['securityContext'] as object),
          readOnlyRootFilesystem: false,
        };
      },
      violation: 'StatefulSet/hub container hub: readOnlyRootFilesystem must be true',
    },
    {
      breaks: 'the readiness probe on the liveness route',
      mutate: (objects) => {
        hubPod(objects).container['readinessProbe'] = { httpGet: { path: '/health/live', port: 'http' } };
      },
      violation: 'readinessProbe must GET /health/ready',
    },
    {
      breaks: 'the instance name as a fixed value',
      mutate: (objects) => {
        hubPod(objects).container['env'] = [{ name: 'KAFKA_INSTANCE_NAME', value: 'hub-1' }];
      },
      violation: /^KAFKA_INSTANCE_NAME must come from the pod name/,
    },
    {
      breaks: 'the image on latest',
      mutate: (objects) => {
        hubPod(objects).container['image'] = 'registry.example/safeguarding-hub/hub:latest';
      },
      violation: /must be pinned by a tag/,
    },
    {
      breaks: 'a misspelt configuration key',
      mutate: (objects) => {
        const data = find(objects, 'ConfigMap', 'hub-config')['data'] as Record<string, Json>;
        data['KAFKA_BROKER'] = 'kafka:9092';
      },
      violation: 'KAFKA_BROKER is not a key the hub reads (services/hub/README.md)',
    },
    {
      breaks: 'a required key left out',
      mutate: (objects) => {
        delete (find(objects, 'ConfigMap', 'hub-config')['data'] as Record<string, Json>)['HUB_CLIENTS_FILE'];
      },
      violation: 'HUB_CLIENTS_FILE is required by the hub but not set',
    },
    {
      breaks: "the audit log's key file left to the hub's default path, which no mount holds",
      mutate: (objects) => {
        delete (find(objects, 'ConfigMap', 'hub-config')['data'] as Record<string, Json>)['AUDIT_LOG_KEY_FILE'];
      },
      violation: "AUDIT_LOG_KEY_FILE must be set: the hub's default does not suit a deployment",
    },
    {
      breaks: "the audit log's key file outside the mounted Secret",
      mutate: (objects) => {
        const data = find(objects, 'ConfigMap', 'hub-config')['data'] as Record<string, Json>;
        data['AUDIT_LOG_KEY_FILE'] = '/etc/hub/signing-keys/audit-log.skey';
      },
      violation: 'AUDIT_LOG_KEY_FILE must name a file of a mounted Secret or ConfigMap item',
    },
    {
      breaks: 'a Secret with its data added to the build',
      mutate: (objects) => {
        objects.push({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'hub-clients' }, data: { x: 'eA==' } });
      },
      violation: 'the build: a Secret with inline data',
    },
  ];

  it.each(cases)('$breaks', ({ mutate, violation }) => {
    const objects = structuredClone(build('production'));
    mutate(objects);
    expect(hubRuleViolations(objects)).toContainEqual(
      typeof violation === 'string' ? violation : expect.stringMatching(violation),
    );
  });

  it('a field of the wrong type fails the schema', () => {
    const objects = structuredClone(build('production'));
    const ports = hubPod(objects).container['ports'] as { containerPort: Json }[];
    (ports[0] as { containerPort: Json }).containerPort = '8080';
    expect(schemaErrors(objects)).toEqual([
      expect.stringMatching(/^StatefulSet\/hub: .*containerPort must be integer/),
    ]);
  });
});

describe('the kustomize subset', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'hub-kustomize-'));
  afterAll(() => {
    rmSync(scratch, { recursive: true, force: true });
  });

  it('refuses a kustomization field it does not apply, rather than skip it', () => {
    writeFileSync(
      join(scratch, 'kustomization.yaml'),
      'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\ncommonLabels: {a: b}\n',
    );
    expect(() => buildKustomization(scratch)).toThrow('field commonLabels is not supported by these tests');
  });

  it('applies RFC 6902 add, replace and remove, and refuses a path that does not exist', () => {
    const document = { spec: { env: [{ name: 'A' }], data: { X: '1', Y: '2' } } };
    expect(
      applyJsonPatch(document, [
        { op: 'add', path: '/spec/env/-', value: { name: 'B' } },
        { op: 'replace', path: '/spec/data/X', value: '3' },
        { op: 'remove', path: '/spec/data/Y' },
      ]),
    ).toEqual({ spec: { env: [{ name: 'A' }, { name: 'B' }], data: { X: '3' } } });
    expect(() => applyJsonPatch(document, [{ op: 'replace', path: '/spec/data/Z', value: '1' }])).toThrow(
      'does not exist',
    );
  });
});
