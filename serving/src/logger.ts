/**
 * pino JSON logs on stdout. The lines logged during one event-loop turn leave together in one synchronous write
 * at the end of that turn (a setImmediate): a busy server makes one write per turn for the dozen or so requests
 * it answered in it, an idle one still writes each line at once, and no write waits on the thread pool. Measured
 * by bench/serving at 32 connections: one write per line, synchronous or pino's asynchronous destination, cost a
 * fifth of the server's throughput at LOG_LEVEL=info. Like pino's default destination, a stdout nobody reads
 * (a full pipe) blocks the write; {@link flushLogs} runs before the process exits so no line is lost.
 */
import { pino, type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from './config.js';

export type { Logger } from 'pino';

export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  const stream = destination ?? turnBatchedStdout();
  return pino({ level, base: { service: 'mlp-serving' }, timestamp: pino.stdTimeFunctions.isoTime }, stream);
}

interface FlushableStream extends DestinationStream {
  flush(callback?: () => void): void;
  flushSync(): void;
}

function turnBatchedStdout(): FlushableStream {
  // sonic-boom in sync mode: writeSync, retrying EAGAIN on a non-blocking stdout.
  const stdout = pino.destination({ dest: 1, sync: true });
  let pending = '';
  const writePending = (): void => {
    const lines = pending;
    pending = '';
    if (lines !== '') stdout.write(lines);
  };
  return {
    write(line: string) {
      if (pending === '') setImmediate(writePending);
      pending += line;
    },
    flush(callback) {
      writePending();
      callback?.();
    },
    flushSync() {
      writePending();
      stdout.flushSync();
    },
  };
}

export function flushLogs(logger: Logger): void {
  try {
    logger.flush();
    const stream = (logger as unknown as Record<symbol, unknown>)[pino.symbols.streamSym] as { flushSync?: () => void } | undefined;
    stream?.flushSync?.();
  } catch {
    // Nothing to flush into (stdout closed): exiting is all that is left to do.
  }
}
