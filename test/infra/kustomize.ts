import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';

/*
 * The part of kustomize that infra/k8s uses, and nothing more: `resources` (files and directories), `namespace`,
 * `images`, `replicas` and `patches` holding RFC 6902 JSON patches with a kind/name target. Any other field of a
 * kustomization is refused, so a manifest can never rely on something these tests would silently skip. No
 * kustomize binary runs here (no cluster, no Go toolchain); this is what `kubectl apply -k` would build.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface KubernetesObject extends JsonObject {
  apiVersion: string;
  kind: string;
  metadata: JsonObject & { name: string };
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Every document of a YAML file, read as YAML 1.1 like the Kubernetes tools (so `defaultMode: 0440` is octal).
 * Empty documents (a trailing `---`) are skipped; a syntax error throws with the file's name.
 */
export function readYamlDocuments(file: string): Json[] {
  return parseAllDocuments(readFileSync(file, 'utf8'), { version: '1.1' })
    .map((document) => {
      if (document.errors.length > 0) throw new Error(`${file}: ${document.errors.map((e) => e.message).join('; ')}`);
      return document.toJS() as Json;
    })
    .filter((value) => value !== null);
}

function asKubernetesObject(value: Json, file: string): KubernetesObject {
  if (
    !isObject(value) ||
    typeof value['apiVersion'] !== 'string' ||
    typeof value['kind'] !== 'string' ||
    !isObject(value['metadata']) ||
    typeof value['metadata']['name'] !== 'string'
  ) {
    throw new Error(`${file}: every document must have apiVersion, kind and metadata.name`);
  }
  return value as KubernetesObject;
}

const KUSTOMIZATION_FIELDS = new Set(['apiVersion', 'kind', 'namespace', 'resources', 'images', 'replicas', 'patches']);
const SCALABLE_KINDS = new Set(['StatefulSet', 'Deployment', 'ReplicaSet']);

function stringField(record: JsonObject, key: string, where: string): string {
  const value = record[key];
  if (typeof value !== 'string') throw new Error(`${where}: ${key} must be a string`);
  return value;
}

function listField(record: JsonObject, key: string, where: string): JsonObject[] {
  const value = record[key] ?? [];
  if (!Array.isArray(value) || !value.every(isObject)) throw new Error(`${where}: ${key} must be a list of objects`);
  return value;
}

/** The objects `kubectl apply -k <directory>` would apply (see the header for what is supported). */
export function buildKustomization(directory: string): KubernetesObject[] {
  const file = join(directory, 'kustomization.yaml');
  const [kustomization] = readYamlDocuments(file);
  if (!isObject(kustomization) || kustomization['kind'] !== 'Kustomization') {
    throw new Error(`${file}: not a Kustomization`);
  }
  for (const key of Object.keys(kustomization)) {
    if (!KUSTOMIZATION_FIELDS.has(key)) throw new Error(`${file}: field ${key} is not supported by these tests`);
  }

  const resources = kustomization['resources'] ?? [];
  if (!Array.isArray(resources)) throw new Error(`${file}: resources must be a list`);
  const objects = resources.flatMap((entry) => {
    if (typeof entry !== 'string') throw new Error(`${file}: resources must be paths`);
    const path = resolve(directory, entry);
    return statSync(path).isDirectory()
      ? buildKustomization(path)
      : readYamlDocuments(path).map((value) => asKubernetesObject(value, path));
  });

  for (const patch of listField(kustomization, 'patches', file)) {
    const path = resolve(directory, stringField(patch, 'path', file));
    const target = patch['target'];
    if (!isObject(target)) throw new Error(`${file}: every patch needs a target`);
    const matches = objects.filter(
      (object) => object.kind === target['kind'] && object.metadata.name === target['name'],
    );
    if (matches.length !== 1) throw new Error(`${path}: the target must match exactly one object`);
    const operations = readYamlDocuments(path)[0];
    if (!Array.isArray(operations)) throw new Error(`${path}: must be a JSON patch (a list of operations)`);
    const index = objects.indexOf(matches[0] as KubernetesObject);
    objects[index] = asKubernetesObject(applyJsonPatch(objects[index] as KubernetesObject, operations), path);
  }

  for (const entry of listField(kustomization, 'replicas', file)) {
    const name = stringField(entry, 'name', file);
    const matches = objects.filter((object) => SCALABLE_KINDS.has(object.kind) && object.metadata.name === name);
    if (matches.length !== 1 || typeof entry['count'] !== 'number') {
      throw new Error(`${file}: replicas ${name} must name one workload and give a count`);
    }
    for (const object of matches) (object['spec'] as JsonObject)['replicas'] = entry['count'];
  }

  for (const entry of listField(kustomization, 'images', file)) {
    let replaced = 0;
    for (const container of podContainers(objects)) {
      const image = splitImage(stringField(container, 'image', file));
      if (image.name !== entry['name']) continue;
      const name = typeof entry['newName'] === 'string' ? entry['newName'] : image.name;
      if (typeof entry['digest'] === 'string') container['image'] = `${name}@${entry['digest']}`;
      else container['image'] = `${name}${typeof entry['newTag'] === 'string' ? `:${entry['newTag']}` : image.suffix}`;
      replaced += 1;
    }
    if (replaced === 0) throw new Error(`${file}: image ${JSON.stringify(entry['name'])} is used by no container`);
  }

  const namespace = kustomization['namespace'];
  if (typeof namespace === 'string') for (const object of objects) object.metadata['namespace'] = namespace;
  return objects;
}

/** An image reference's name and its `:tag` or `@digest` (empty when it has neither). */
export function splitImage(image: string): { name: string; suffix: string } {
  const at = image.indexOf('@');
  if (at !== -1) return { name: image.slice(0, at), suffix: image.slice(at) };
  const colon = image.lastIndexOf(':');
  // A colon before the last slash belongs to a registry's port (registry:5000/hub), not to a tag.
  if (colon > image.lastIndexOf('/')) return { name: image.slice(0, colon), suffix: image.slice(colon) };
  return { name: image, suffix: '' };
}

/** The pod spec of a Pod or of a workload's pod template, if the object has one. */
export function podSpec(object: KubernetesObject): JsonObject | undefined {
  const spec = object['spec'];
  if (!isObject(spec)) return undefined;
  if (object.kind === 'Pod') return spec;
  const template = spec['template'];
  return isObject(template) && isObject(template['spec']) ? template['spec'] : undefined;
}

/** Every container and init container of every pod the objects would run. */
export function podContainers(objects: readonly KubernetesObject[]): JsonObject[] {
  return objects.flatMap((object) => {
    const spec = podSpec(object);
    if (spec === undefined) return [];
    return [spec['initContainers'], spec['containers']].flatMap((list) =>
      Array.isArray(list) ? list.filter(isObject) : [],
    );
  });
}

function decodePointer(pointer: string): string[] {
  if (!pointer.startsWith('/')) throw new Error(`JSON pointer ${pointer} must start with /`);
  return pointer
    .slice(1)
    .split('/')
    .map((token) => token.replaceAll('~1', '/').replaceAll('~0', '~'));
}

/** RFC 6902 `add`, `remove` and `replace` on a copy of `document`; a path that does not resolve throws. */
export function applyJsonPatch(document: JsonObject, operations: readonly Json[]): JsonObject {
  const result = structuredClone(document);
  for (const operation of operations) {
    if (!isObject(operation)) throw new Error('a JSON patch operation must be an object');
    const op = stringField(operation, 'op', 'JSON patch');
    const path = stringField(operation, 'path', 'JSON patch');
    const tokens = decodePointer(path);
    const last = tokens.pop();
    let parent: Json = result;
    for (const token of tokens) {
      const next: Json | undefined = Array.isArray(parent)
        ? parent[Number(token)]
        : isObject(parent)
          ? parent[token]
          : undefined;
      if (next === undefined) throw new Error(`JSON patch: ${path} does not exist`);
      parent = next;
    }
    if (last === undefined) throw new Error('JSON patch: the whole document cannot be replaced');
    const value = operation['value'];
    if (Array.isArray(parent)) {
      const index = last === '-' && op === 'add' ? parent.length : Number(last);
      if (!Number.isInteger(index) || index < 0 || index > parent.length - (op === 'add' ? 0 : 1)) {
        throw new Error(`JSON patch: ${path} is outside the array`);
      }
      if (op === 'add' && value !== undefined) parent.splice(index, 0, value);
      else if (op === 'replace' && value !== undefined) parent[index] = value;
      else if (op === 'remove') parent.splice(index, 1);
      else throw new Error(`JSON patch: ${op} at ${path} is not supported or has no value`);
    } else if (isObject(parent)) {
      if (op !== 'add' && !(last in parent)) throw new Error(`JSON patch: ${path} does not exist`);
      if ((op === 'add' || op === 'replace') && value !== undefined) parent[last] = value;
      else if (op === 'remove') Reflect.deleteProperty(parent, last);
      else throw new Error(`JSON patch: ${op} at ${path} is not supported or has no value`);
    } else {
      throw new Error(`JSON patch: ${path} does not exist`);
    }
  }
  return result;
}
