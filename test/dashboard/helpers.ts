/** Request helpers for the handler-level dashboard tests. */
import type { Dashboard } from "../../src/dashboard/index.ts";

export const ORIGIN = "http://dash.test";

export function get(d: Dashboard, path: string, headers: Record<string, string> = {}): Promise<Response> {
  return d.fetch(new Request(ORIGIN + path, { headers }));
}

export function postForm(d: Dashboard, path: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
  return d.fetch(new Request(ORIGIN + path, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams(fields).toString(),
  }));
}

export function postJson(d: Dashboard, path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return d.fetch(new Request(ORIGIN + path, { method: "POST", headers: { "Content-Type": "application/json", ...headers }, body: JSON.stringify(body) }));
}

/** The `name=value` part of a Set-Cookie header. */
export function cookieOf(res: Response): string {
  const set = res.headers.get("set-cookie");
  if (!set) throw new Error(`expected a Set-Cookie header (status ${res.status})`);
  return set.split(";")[0]!;
}

/** The CSRF token embedded in a page's forms. */
export function csrfOf(page: string): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(page);
  if (!m) throw new Error("no CSRF field in page");
  return m[1]!;
}
