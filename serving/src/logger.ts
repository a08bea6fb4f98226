/**
 * pino JSON logs on stdout, written asynchronously: a synchronous write per request line would cost more than
 * the prediction itself. Lines logged while a write is in flight go out together in the next one, so a busy
 * server makes few, large writes and an idle one still logs each line at once (no minimum chunk size, which
 * would hold a quiet pod's lines back indefinitely). {@link flushLogs} runs before the process exits so the
 * last lines (including the shutdown summary) are not lost.
 */
import { pino, type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from './config.js';

export type { Logger } from 'pino';

export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  const stream = destination ?? pino.destination({ dest: 1, sync: false });
  return pino({ level, base: { service: 'mlp-serving' }, timestamp: pino.stdTimeFunctions.isoTime }, stream);
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
