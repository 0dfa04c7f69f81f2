/**
 * A real local HTTP server speaking the OpenAI chat-completions protocol, for tests of the endpoint
 * client: each request gets the reply a script chooses (a completion, an HTTP error, malformed JSON,
 * a body cut short, a hang). It records every request and the most requests it had in flight at once.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type ChatReply =
  /** a completion with this text */
  | { kind: 'ok'; content: string; finish?: 'stop' | 'length'; delayMs?: number }
  /** an HTTP status with a body (JSON stringified unless a string) and headers */
  | { kind: 'status'; status: number; body?: unknown; headers?: Record<string, string>; delayMs?: number }
  /** status 200 with this raw body (e.g. malformed JSON) */
  | { kind: 'raw'; body: string; delayMs?: number }
  /** declares Content-Length `declared` but sends only `body`, then closes the socket (or, with stall, waits) */
  | { kind: 'truncate'; body: string; declared: number; stall?: boolean }
  /** never answers */
  | { kind: 'hang' };

export interface ChatRequestRecord {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: {
    model?: string;
    messages?: { role: string; content: string }[];
    max_tokens?: number;
    temperature?: number;
    top_p?: number;
    seed?: number;
    stop?: string[];
  };
}

export interface ChatServer {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  readonly requests: ChatRequestRecord[];
  /** most requests in flight at once so far */
  readonly maxInFlight: number;
  readonly inFlight: number;
  close(): Promise<void>;
}

/** `script(request, n)` picks the reply to the n-th request (0-based). */
export async function startChatServer(
  script: (req: ChatRequestRecord, n: number) => ChatReply,
): Promise<ChatServer> {
  const requests: ChatRequestRecord[] = [];
  let inFlight = 0;
  let maxInFlight = 0;

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    // a page on another origin (the studio in Playwright) may call it: answer CORS as llama.cpp does
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Access-Control-Expose-Headers', 'Retry-After');
    if (req.method === 'OPTIONS') {
      res.writeHead(204, {
        'Access-Control-Allow-Methods': 'POST, OPTIONS',
        'Access-Control-Allow-Headers': 'Authorization, Content-Type',
        'Access-Control-Max-Age': '600',
      });
      res.end();
      return;
    }
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    let ended = false;
    const end = () => {
      if (!ended) {
        ended = true;
        inFlight--;
      }
    };
    res.on('close', end);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    let body: ChatRequestRecord['body'] = {};
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      body = {};
    }
    const record: ChatRequestRecord = {
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      body,
    };
    const n = requests.length;
    requests.push(record);
    const reply = script(record, n);
    if (reply.kind === 'hang') return;
    if ('delayMs' in reply && reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));
    if (reply.kind === 'truncate') {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': String(reply.declared) });
      res.write(reply.body, () => {
        if (!reply.stall) res.socket?.destroy();
      });
      return;
    }
    if (reply.kind === 'raw') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(reply.body);
      return;
    }
    if (reply.kind === 'status') {
      const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body ?? {});
      res.writeHead(reply.status, { 'Content-Type': 'application/json', ...(reply.headers ?? {}) });
      res.end(text);
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(
      JSON.stringify({
        id: `chatcmpl-${n}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: body.model ?? 'unknown',
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: reply.content },
            finish_reason: reply.finish ?? 'stop',
          },
        ],
        usage: { prompt_tokens: 10, completion_tokens: reply.content.split(/\s+/).length, total_tokens: 0 },
      }),
    );
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      res.destroy(e as Error);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    get maxInFlight() {
      return maxInFlight;
    },
    get inFlight() {
      return inFlight;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The text of the last user message of a recorded request. */
export function lastUserMessage(req: ChatRequestRecord): string {
  const msgs = req.body.messages ?? [];
  for (let i = msgs.length - 1; i >= 0; i--) if (msgs[i].role === 'user') return msgs[i].content;
  return '';
}
