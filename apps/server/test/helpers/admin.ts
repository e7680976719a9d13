/** HTTP calls to the admin API for tests: JSON in, JSON out, the Authorization header set. */
import { request, type Agent } from 'node:http';

export interface AdminResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  json: Record<string, unknown>;
}

export interface AdminCall {
  token?: string;
  body?: unknown;
  /** A keep-alive agent pins every call to one connection (so to one cluster worker). */
  agent?: Agent;
}

export function adminCall(port: number, method: string, path: string, call: AdminCall = {}): Promise<AdminResponse> {
  const payload = call.body === undefined ? undefined : JSON.stringify(call.body);
  const headers: Record<string, string> = {};
  if (call.token !== undefined) headers['authorization'] = `Bearer ${call.token}`;
  if (payload !== undefined) headers['content-type'] = 'application/json';
  if (call.agent === undefined) headers['connection'] = 'close';
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers, agent: call.agent ?? false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        let json: Record<string, unknown>;
        try {
          json = JSON.parse(text) as Record<string, unknown>;
        } catch {
          json = { raw: text };
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, json });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}
