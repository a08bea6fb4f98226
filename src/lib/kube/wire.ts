/**
 * client-node's typed models name a few fields differently from the API (LimitRange's `default` is `_default`,
 * schemas' `enum` is `_enum`), and KubernetesObjectApi serializes what it sends by the model: a plain object with
 * the API's own name loses that field without a word. So rendered objects become models before they are sent
 * (loadYaml is client-node's own plain → model conversion; JSON is YAML), and objects read back become plain API
 * JSON again (dumpYaml) before they are shown.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import { parse } from 'yaml';

export async function toModel<T extends KubernetesObject>(object: T): Promise<T> {
  const { loadYaml } = await import('@kubernetes/client-node');
  return loadYaml<T>(JSON.stringify(object));
}

export async function toWire(object: KubernetesObject): Promise<KubernetesObject> {
  const { dumpYaml } = await import('@kubernetes/client-node');
  return parse(dumpYaml(object)) as KubernetesObject;
}
