/**
 * Request bodies, read as a stream with a byte cap on every route, whatever the server in front (Node,
 * Hono, Bun, Deno): a declared Content-Length over the cap is refused before reading, and reading stops
 * (the stream is cancelled) as soon as the cap is passed.
 */

/** Largest accepted request body, in bytes (1 MiB). */
export const MAX_BODY_BYTES = 1_048_576;

export type Body =
  | { readonly kind: "empty" }
  | { readonly kind: "json"; readonly value: unknown }
  | { readonly kind: "form"; readonly form: URLSearchParams }
  | { readonly kind: "error"; readonly status: 400 | 413 | 415; readonly message: string };

const TOO_LARGE: Body = { kind: "error", status: 413, message: `request body too large (limit ${MAX_BODY_BYTES} bytes)` };

/** The body's bytes, or null when it is larger than `max`. */
export async function readBytes(req: Request, max = MAX_BODY_BYTES): Promise<Uint8Array | null> {
  const declared = req.headers.get("content-length");
  if (declared !== null && /^\d+$/.test(declared.trim()) && Number(declared) > max) {
    await req.body?.cancel().catch(() => {});
    return null;
  }
  if (req.body === null) return new Uint8Array(0);
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => {});
      return null;
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/** Reads and parses a JSON or form body (an empty body is "empty" whatever its type). */
export async function readBody(req: Request): Promise<Body> {
  const bytes = await readBytes(req);
  if (bytes === null) return TOO_LARGE;
  if (bytes.byteLength === 0) return { kind: "empty" };
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return { kind: "error", status: 400, message: "request body is not valid UTF-8" };
  }
  const type = (req.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (type === "application/json") {
    if (text.trim() === "") return { kind: "empty" };
    try {
      return { kind: "json", value: JSON.parse(text) as unknown };
    } catch {
      return { kind: "error", status: 400, message: "request body is not valid JSON" };
    }
  }
  if (type === "application/x-www-form-urlencoded") return { kind: "form", form: new URLSearchParams(text) };
  return { kind: "error", status: 415, message: `unsupported content type "${type}" (send application/json or a form)` };
}

/** The form fields of a body (none for JSON, empty or refused bodies). */
export function formOf(body: Body): URLSearchParams {
  return body.kind === "form" ? body.form : new URLSearchParams();
}
