/**
 * The controller's API as the agent and the fleet commands call it: JSON
 * over HTTP with a bearer token. A controller that cannot be reached is an
 * `unreachable` error (the agent keeps its reports and retries); an error
 * the controller answers keeps its code and message (`{"error": …}`).
 */
import { ClaudeEnvError } from '../errors.js';
import { API_PREFIX } from '../controller/api.js';

export interface CallOptions {
  readonly method?: 'GET' | 'POST' | 'DELETE';
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  /** Give up after this long (default 30 s). */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

export interface ApiResponse<T> {
  readonly status: number;
  readonly body: T | undefined;
  readonly headers: Headers;
}

export class ApiClient {
  readonly base: string;

  constructor(controller: string, private readonly token: string | undefined, private readonly fetcher: typeof fetch = fetch) {
    let url: URL;
    try {
      url = new URL(controller);
    } catch {
      throw new ClaudeEnvError('usage', `--controller ${controller}: not a URL (such as http://127.0.0.1:8080)`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ClaudeEnvError('usage', `--controller ${controller}: only http and https`);
    this.base = url.href.replace(/\/+$/, '');
  }

  /** `path` under /api/v1 (or absolute, such as /health). 304 answers `body: undefined`. */
  async call<T>(path: string, opts: CallOptions = {}): Promise<ApiResponse<T>> {
    const url = this.base + (path.startsWith('/api/') || path.startsWith('/health') || path.startsWith('/ready') || path.startsWith('/metrics') ? path : API_PREFIX + path);
    const headers: Record<string, string> = { Accept: 'application/json', ...(opts.headers ?? {}) };
    if (this.token) headers['Authorization'] = `Bearer ${this.token}`;
    if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
    const timeout = AbortSignal.timeout(opts.timeoutMs ?? 30_000);
    const signal = opts.signal ? AbortSignal.any([timeout, opts.signal]) : timeout;
    let res: Response;
    try {
      res = await this.fetcher(url, { method: opts.method ?? 'GET', headers, ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}), signal });
    } catch (err) {
      if (opts.signal?.aborted) throw new ClaudeEnvError('unreachable', 'stopped', { cause: err });
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
      throw new ClaudeEnvError('unreachable', `cannot reach the controller at ${this.base} (${cause})`, { cause: err });
    }
    if (res.status === 304) return { status: 304, body: undefined, headers: res.headers };
    const text = await res.text().catch(() => '');
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (res.status >= 400) {
      const e = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
      const code = typeof e?.code === 'string' ? e.code : res.status >= 500 ? 'unavailable' : 'bad-request';
      throw new ClaudeEnvError(code, `the controller answered ${res.status}: ${typeof e?.message === 'string' ? e.message : res.statusText}`);
    }
    return { status: res.status, body: body as T, headers: res.headers };
  }
}
