// The ceiling of bench/serving: a bare node:http server that reads and parses the JSON body and answers a
// small JSON, with no framework, no validation and no model. What Node's HTTP stack alone does on one core.
//   PORT=8000 HOST=127.0.0.1 node bench/peers/node-echo.mjs
import http from 'node:http';

const port = Number(process.env.PORT ?? 8000);
const host = process.env.HOST ?? '127.0.0.1';

const server = http.createServer((req, res) => {
  if (req.method === 'GET') {
    const ok = req.url === '/ready' || req.url === '/health';
    res.writeHead(ok ? 200 : 404, { 'content-type': 'application/json' });
    res.end(ok ? '{"status":"ready"}' : '{"error":"not_found"}');
    return;
  }
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    let body;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end('{"error":"malformed_json"}');
      return;
    }
    const rows = Array.isArray(body.instances) ? body.instances.length : 1;
    const answer =
      rows === 1 && Array.isArray(body.features)
        ? { prediction: 0, probability: 0, model_name: 'echo', request_id: body.request_id }
        : { predictions: new Array(rows).fill(0), model_name: 'echo' };
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(answer));
  });
});
server.keepAliveTimeout = 65_000;
server.listen(port, host);
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0));
