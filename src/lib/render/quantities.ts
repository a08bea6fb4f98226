/**
 * Kubernetes CPU and memory quantities as mlp.yaml allows them ("250m", "0.5", "512Mi", "1G", "1e9"), turned into
 * numbers so the ResourceQuota can be the sum of what the project's pods ask for.
 */

const MEMORY_UNITS: Record<string, number> = {
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** Millicores, rounded up (Kubernetes does not allow finer than 1m). */
export function cpuMillis(quantity: string): number {
  return quantity.endsWith('m') ? Math.ceil(Number(quantity.slice(0, -1))) : Math.ceil(Number(quantity) * 1000);
}

/** Bytes. */
export function memoryBytes(quantity: string): number {
  const match = /^([\d.]+)([eE]\d+|[kMGTPE]i?|Ki)?$/.exec(quantity);
  if (!match) throw new Error(`not a memory quantity: ${quantity}`);
  const [, number, suffix = ''] = match;
  const factor = /^[eE]/.test(suffix) ? 10 ** Number(suffix.slice(1)) : MEMORY_UNITS[suffix];
  if (factor === undefined) throw new Error(`not a memory quantity: ${quantity}`);
  return Math.ceil(Number(number) * factor);
}

export function formatCpu(millis: number): string {
  return millis % 1000 === 0 ? String(millis / 1000) : `${millis}m`;
}

/** In Mi, rounded up: readable, and never below the sum. */
export function formatMemory(bytes: number): string {
  const mebibytes = Math.ceil(bytes / 2 ** 20);
  return mebibytes % 1024 === 0 ? `${mebibytes / 1024}Gi` : `${mebibytes}Mi`;
}
