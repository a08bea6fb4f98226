/**
 * Coalesces the predictions requested within one event-loop turn into one model run.
 *
 * onnxruntime-node runs a session synchronously on the main thread (after a setImmediate), and for a tabular
 * model the fixed cost of a run (binding, tensor set-up, output allocation) is most of it: 20 features × 2
 * classes computes in nanoseconds. Under concurrent load many requests are parsed in the same turn; stacking
 * their rows into one tensor pays that fixed cost once. A lone request runs exactly as it would without this.
 * Rows are independent in these models, so the results are the same as separate runs.
 */
import type { Prediction } from './backend.js';

/** Requests bigger than this run alone: a large batch should not delay the small ones queued with it. */
const MAX_COALESCED_ROWS = 256;

interface Pending {
  rows: Float32Array;
  rowCount: number;
  resolve: (prediction: Prediction) => void;
  reject: (error: unknown) => void;
}

export function coalesceRuns(
  run: (rows: Float32Array, rowCount: number) => Promise<Prediction>,
  featureCount: number,
  classCount: number,
  /** Told the size of each model run: how many requests it served (the coalescing at work) and their rows. */
  onRun: (requests: number, rows: number) => void = () => undefined,
): (rows: Float32Array, rowCount: number) => Promise<Prediction> {
  let queue: Pending[] = [];
  let queuedRows = 0;

  function flush(): void {
    const batch = queue;
    const totalRows = queuedRows;
    // An earlier flush (the row cap) may have emptied the queue this scheduled flush was meant for.
    if (batch.length === 0) return;
    queue = [];
    queuedRows = 0;
    onRun(batch.length, totalRows);
    if (batch.length === 1) {
      const only = batch[0] as Pending;
      run(only.rows, only.rowCount).then(only.resolve, only.reject);
      return;
    }
    const rows = new Float32Array(totalRows * featureCount);
    let offset = 0;
    for (const pending of batch) {
      rows.set(pending.rows, offset * featureCount);
      offset += pending.rowCount;
    }
    run(rows, totalRows).then(
      ({ labels, probabilities }) => {
        let start = 0;
        for (const pending of batch) {
          const end = start + pending.rowCount;
          pending.resolve({
            labels: labels.slice(start, end),
            probabilities: probabilities.subarray(start * classCount, end * classCount),
          });
          start = end;
        }
      },
      (error: unknown) => {
        for (const pending of batch) pending.reject(error);
      },
    );
  }

  return (rows, rowCount) => {
    if (rowCount > MAX_COALESCED_ROWS) {
      onRun(1, rowCount);
      return run(rows, rowCount);
    }
    return new Promise<Prediction>((resolve, reject) => {
      if (queuedRows + rowCount > MAX_COALESCED_ROWS) flush();
      queue.push({ rows, rowCount, resolve, reject });
      queuedRows += rowCount;
      // setImmediate, not a microtask: it runs after this turn's I/O callbacks, when the other requests that
      // arrived with this one have been parsed and queued too.
      if (queue.length === 1) setImmediate(flush);
    });
  };
}
