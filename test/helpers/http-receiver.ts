import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  body: unknown;
}

/** A real HTTP server on loopback that records what it is sent and answers with `status`. */
export async function startReceiver(status = 200) {
  const received: Received[] = [];
  let answer = status;
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString()));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body: JSON.parse(text) as unknown });
      res.statusCode = answer;
      res.end(answer < 300 ? 'ok' : 'nope');
    });
  });
  await new Promise<void>((resolveListen) => server.listen(0, '127.0.0.1', resolveListen));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    answerWith(code: number) {
      answer = code;
    },
    close: () => new Promise<void>((resolveClose) => server.close(() => resolveClose())),
  };
}
