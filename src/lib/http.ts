/**
 * One HTTP request, answer and body, within a time limit. The limit is a plain (ref'd) timer, not
 * AbortSignal.timeout, whose timer is unref'd: while docker-proxy or a port-forward holds a connection to a server
 * that is not answering, nothing else keeps Node's event loop alive, and the process would exit mid-await.
 */
export interface HttpAnswer {
  status: number;
  ok: boolean;
  body: string;
}

export async function fetchWithin(url: string, init: RequestInit, timeoutMs: number, signal?: AbortSignal): Promise<HttpAnswer> {
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
  try {
    const res = await fetch(url, { ...init, signal: signal ? AbortSignal.any([signal, timeout.signal]) : timeout.signal });
    return { status: res.status, ok: res.ok, body: await res.text() };
  } finally {
    clearTimeout(timer);
  }
}
