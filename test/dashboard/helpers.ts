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

/** Sends raw bytes to a server and resolves with everything it answers (until it closes or `idleMs` of silence). */
export async function rawHttp(port: number, text: string, idleMs = 500): Promise<string> {
  const { connect } = await import("node:net");
  return await new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let out = "";
    let timer: NodeJS.Timeout | undefined;
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(out);
    };
    socket.on("data", (d: Buffer) => {
      out += d.toString("latin1");
      clearTimeout(timer);
      timer = setTimeout(finish, idleMs);
    });
    socket.on("end", finish);
    socket.on("error", (e) => (out === "" ? reject(e) : finish()));
    socket.write(text);
  });
}

/** The status code and lower-cased headers of a raw HTTP answer. */
export function parseRaw(answer: string): { status: number; headers: Record<string, string>; body: string } {
  const [head = "", ...rest] = answer.split("\r\n\r\n");
  const [statusLine = "", ...lines] = head.split("\r\n");
  const headers: Record<string, string> = {};
  for (const l of lines) {
    const i = l.indexOf(":");
    if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  return { status: Number(statusLine.split(" ")[1]), headers, body: rest.join("\r\n\r\n") };
}
