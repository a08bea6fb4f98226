/**
 * A local port that reaches a pod's port through the API server (pods/portforward), as `kubectl port-forward`
 * does: smoke tests reach the service from wherever mlp runs (a laptop, a CI runner) without exposing it.
 */
import net from 'node:net';
import type { KubeClient } from './client.js';

export async function withPortForward<T>(
  kube: KubeClient,
  namespace: string,
  pod: string,
  port: number,
  use: (baseUrl: string) => Promise<T>,
): Promise<T> {
  const forward = kube.portForward;
  const sockets = new Set<net.Socket>();
  const streams = new Set<{ close(): void }>();
  // One API server stream per local connection, as kubectl opens one per connection.
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    forward
      .portForward(namespace, pod, [port], socket, null, socket)
      .then((opened) => {
        const stream = typeof opened === 'function' ? opened() : opened;
        if (!stream) return;
        streams.add(stream);
        // The web socket outlives the local connection unless closed: it would keep mlp from exiting.
        socket.on('close', () => stream.close());
      })
      .catch(() => socket.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port: localPort } = server.address() as net.AddressInfo;
  try {
    return await use(`http://127.0.0.1:${localPort}`);
  } finally {
    for (const socket of sockets) socket.destroy();
    for (const stream of streams) stream.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
