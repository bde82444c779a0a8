import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { witnessEnv } from '@hub/witness';
import { schemaErrors } from './k8s-rules.ts';
import { buildKustomization, isObject, podSpec, type KubernetesObject } from './kustomize.ts';

// infra/k8s/witness: the audit log's witness as another organisation deploys it (issue 11). Checked like the hub's
// builds: the Kubernetes schemas, the locked-down pod, and a configuration the witness itself accepts.

const WITNESS = fileURLToPath(new URL('../../infra/k8s/witness/', import.meta.url));
const objects = buildKustomization(WITNESS);
const find = (kind: string): KubernetesObject => {
  const object = objects.find((o) => o.kind === kind);
  if (object === undefined) throw new Error(`no ${kind}`);
  return object;
};

describe('infra/k8s/witness', () => {
  it('holds the witness alone, in its own namespace', () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'ConfigMap/witness-config',
      'NetworkPolicy/witness',
      'Service/witness',
      'ServiceAccount/witness',
      'StatefulSet/witness',
    ]);
    expect(new Set(objects.map((o) => o.metadata['namespace']))).toEqual(new Set(['hub-witness']));
  });

  it('validates against the Kubernetes schemas', () => {
    expect(schemaErrors(objects)).toEqual([]);
  });

  it('runs one non-root, read-only witness with its state on a volume and its key never world-readable', () => {
    const statefulSet = find('StatefulSet');
    expect(statefulSet['spec']).toMatchObject({ replicas: 1 });
    const spec = podSpec(statefulSet);
    const container = (spec?.['containers'] as unknown[])[0];
    expect(isObject(container) && container['securityContext']).toMatchObject({
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
    expect(isObject(container) && container['image']).toMatch(/^safeguarding-hub\/witness:\d+\.\d+\.\d+$/);
    const key = (spec?.['volumes'] as { name: string; secret?: { defaultMode: number } }[]).find(
      (v) => v.name === 'key',
    );
    expect((key?.secret?.defaultMode ?? 0o777) & 0o007).toBe(0);
  });

  it('configures the witness with keys it accepts, the key never generated in the pod', () => {
    const data = find('ConfigMap')['data'] as Record<string, string>;
    const config = witnessEnv.parse(data);
    expect(config).toMatchObject({ WITNESS_HOST: '0.0.0.0', WITNESS_PORT: 8090, WITNESS_KEY_GENERATE: false });
  });

  it('lets in only the hub and the gateway, and lets nothing out', () => {
    expect(find('NetworkPolicy')['spec']).toMatchObject({ policyTypes: ['Ingress', 'Egress'], egress: [] });
  });
});
