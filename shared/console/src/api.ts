// The one way the console talks to the public API: JSON in, JSON or
// problem+json out, the bearer token from auth, ETags kept for If-Match.

export interface FieldError {
  field: string;
  message: string;
}

/** An RFC 9457 problem the API answered (or a network failure, status 0). */
export class Problem extends Error {
  status: number;
  code: string;
  detail: string;
  errors: FieldError[];
  body: Record<string, unknown>;
  constructor(status: number, body: Record<string, unknown>) {
    const detail = typeof body.detail === "string" ? body.detail : `The request failed (HTTP ${status}).`;
    super(detail);
    this.status = status;
    this.code = typeof body.code === "string" ? body.code : "unknown";
    this.detail = detail;
    this.errors = Array.isArray(body.errors) ? (body.errors as FieldError[]) : [];
    this.body = body;
  }
  /** The message for one field, when the API named it. */
  field(name: string): string | undefined {
    return this.errors.find((e) => e.field === name)?.message;
  }
  /** A human sentence for the banner: concurrency conflicts get their own. */
  explain(): string {
    if (this.status === 412 || this.code === "version_conflict") {
      return "Someone else changed this since you opened it. Reload to see their change, then try again.";
    }
    return this.detail;
  }
}

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

export interface Reply<T> {
  body: T;
  etag: string | null;
}

type TokenSource = () => string | null;

export class API {
  constructor(
    readonly base: string,
    private token: TokenSource,
    private onUnauthorized: () => void,
  ) {}

  async call<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply<T>> {
    const h: Record<string, string> = { Accept: "application/json", ...headers };
    const tok = this.token();
    if (tok) h.Authorization = `Bearer ${tok}`;
    let payload: string | undefined;
    if (body !== undefined) {
      h["Content-Type"] = "application/json";
      payload = JSON.stringify(body);
    }
    let res: Response;
    try {
      res = await fetch(this.base + path, { method, headers: h, body: payload, cache: "no-store" });
    } catch {
      throw new Problem(0, { detail: "The API cannot be reached. Check your connection and try again.", code: "network" });
    }
    const text = await res.text();
    let parsed: unknown = null;
    if (text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = null;
      }
    }
    if (!res.ok) {
      const p = new Problem(res.status, (parsed as Record<string, unknown>) ?? {});
      if (res.status === 401 && tok) this.onUnauthorized();
      throw p;
    }
    return { body: parsed as T, etag: res.headers.get("ETag") };
  }

  async get<T>(path: string): Promise<T> {
    return (await this.call<T>("GET", path)).body;
  }
  async post<T>(path: string, body?: unknown, headers?: Record<string, string>): Promise<T> {
    return (await this.call<T>("POST", path, body, headers)).body;
  }
  async put<T>(path: string, body: unknown, headers?: Record<string, string>): Promise<T> {
    return (await this.call<T>("PUT", path, body, headers)).body;
  }
  async patch<T>(path: string, body: unknown, etag: string | null): Promise<Reply<T>> {
    return this.call<T>("PATCH", path, body, etag ? { "If-Match": etag } : {});
  }
  async del<T>(path: string, body?: unknown): Promise<T> {
    return (await this.call<T>("DELETE", path, body)).body;
  }
}

/** A query string from the set values of q. */
export function qs(q: Record<string, string | number | undefined | null>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== null && v !== "") p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : "";
}

/** A fresh Idempotency-Key for one user action (retries of it reuse it). */
export function idempotencyKey(): string {
  return crypto.randomUUID();
}

/** The ETag the API gives an object at version v (If-Match from a list row). */
export function etagOf(version: number): string {
  return `"${version}"`;
}
