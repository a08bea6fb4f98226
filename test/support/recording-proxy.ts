/**
 * A recording HTTP proxy in front of a real endpoint (the bench's moto): every request is forwarded unchanged and
 * answered with the real response, and the proxy notes when each one arrived and when its answer was complete, on
 * one counter. Tests use it for what the endpoint's own state cannot tell: the order in which a client wrote
 * objects (moto keeps LastModified to the second) or what a client asked for when the answer would be the same
 * either way (ECR reports AES256 encryption for a repository created without any).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  /** The decoded path, without the query. */
  path: string;
  query: string;
  /** The X-Amz-Target header of JSON-protocol APIs (ECR, …), e.g. AmazonEC2ContainerRegistry_V20150921.CreateRepository. */
  target: string | undefined;
  /** The access key id the request was signed with (from its SigV4 Authorization header). */
  accessKeyId: string | undefined;
  /** Whether the request carried a session token (X-Amz-Security-Token): signed with temporary credentials. */
  sessionToken: boolean;
  /** The request body as text, when the proxy was asked to keep bodies. */
  body: string | undefined;
  /** The proxy's counter when the request arrived and when its response had been passed on in full. */
  arrived: number;
  answered: number | undefined;
  status: number | undefined;
}

export interface RecordingProxy {
  /** http://<host>:<port>, to use as AWS_ENDPOINT_URL (on 127.0.0.1, reachable from containers on the host network). */
  readonly endpoint: string;
  readonly requests: readonly RecordedRequest[];
  close(): Promise<void>;
}

/**
 * Starts the proxy on a free port of `host` (default 127.0.0.1; the Docker bridge's gateway address makes it
 * moto's relay for containers on the default network). `keepBodies`: record request bodies (JSON APIs; not uploads).
 */
export async function startRecordingProxy(
  upstream: string,
  options: { keepBodies?: boolean; host?: string } = {},
): Promise<RecordingProxy> {
  const host = options.host ?? '127.0.0.1';
  const target = new URL(upstream);
  const requests: RecordedRequest[] = [];
  let clock = 0;
  const server = http.createServer((incoming, outgoing) => {
    const url = new URL(incoming.url ?? '/', 'http://proxy');
    const record: RecordedRequest = {
      method: incoming.method ?? '',
      path: decodeURIComponent(url.pathname),
      query: url.search,
      target: header(incoming.headers['x-amz-target']),
      accessKeyId: /Credential=([^/]+)\//.exec(header(incoming.headers.authorization) ?? '')?.[1],
      sessionToken: incoming.headers['x-amz-security-token'] !== undefined,
      body: undefined,
      arrived: (clock += 1),
      answered: undefined,
      status: undefined,
    };
    requests.push(record);
    const chunks: Buffer[] = [];
    // Node's server already answered "100 Continue" to the client; the upstream request sends its body at once.
    const { expect: _continue, ...headers } = incoming.headers;
    const forwarded = http.request(
      { host: target.hostname, port: target.port, method: incoming.method, path: incoming.url, headers },
      (answer) => {
        record.status = answer.statusCode;
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
        answer.on('end', () => (record.answered = clock += 1));
      },
    );
    forwarded.on('error', (error) => outgoing.destroy(error));
    if (options.keepBodies) incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      if (options.keepBodies) record.body = Buffer.concat(chunks).toString('utf8');
    });
    incoming.pipe(forwarded);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://${host}:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
