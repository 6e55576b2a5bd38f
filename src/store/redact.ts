/**
 * Secret redaction for everything shown to a person: connection URLs (`store.name`), error messages,
 * CLI output, dashboard answers and logs. A URL's password and every secret-looking query parameter
 * (`password`, `sslpassword`, `sslkey`, `*secret*`, `*token*`, …) become `***`; the rest of the URL
 * stays readable. A leaf module: it imports nothing.
 */

/** What a secret is replaced with. */
export const REDACTED = "***";

/** Parameter names whose values are secrets (matched anywhere in the name, case-insensitively). */
const SECRET_NAME = /pass|pwd|secret|token|credential|sslkey|authorization|^auth$|(?:api|access|private|signing)[_-]?key/i;

/** Secrets shorter than this are not searched for as bare text (it would garble every message). */
const MIN_LITERAL = 4;

/** `scheme://` followed by anything up to white space or a quote. */
const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s'"<>`]+/gi;
/** `name=value` pairs, the value bare or quoted. */
const PAIR = /([A-Za-z_][\w.-]*)(\s*=\s*)('[^']*'|"[^"]*"|[^\s&;,'"<>`)]+)/g;
/** The password of a URL's user info, for URLs `new URL` refuses. */
const LOOSE_USERINFO = /([a-z][a-z0-9+.-]*:\/\/[^\s/?#:@]*):[^\s/?#]*@/gi;

/** Whether a parameter of this name holds a secret. */
export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

function redactPairs(text: string): string {
  return text.replace(PAIR, (all, name: string, eq: string) => (isSecretName(name) ? `${name}${eq}${REDACTED}` : all));
}

/** A URL with its password and secret-looking query parameters replaced by `***`. */
export function redactUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return redactPairs(url.replace(LOOSE_USERINFO, `$1:${REDACTED}@`));
  }
  const secretParams = [...u.searchParams.keys()].some(isSecretName);
  if (u.password === "" && !secretParams) return url;
  if (u.password !== "") u.password = REDACTED;
  if (secretParams) {
    // Edit the raw query so every other parameter keeps its exact spelling.
    u.search = u.search.slice(1).split("&").map((part) => {
      const eq = part.indexOf("=");
      return eq > 0 && isSecretName(decodeSafe(part.slice(0, eq).replaceAll("+", " "))) ? `${part.slice(0, eq)}=${REDACTED}` : part;
    }).join("&");
  }
  return u.href;
}

/** The secret values a URL carries (password, secret parameters), raw and percent-decoded. */
export function secretsOfUrl(url: string): string[] {
  const out = new Set<string>();
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return [];
  }
  const add = (raw: string) => {
    out.add(raw);
    try {
      out.add(decodeURIComponent(raw.replaceAll("+", " ")));
      out.add(decodeURIComponent(raw));
    } catch {
      // keep the raw form only
    }
  };
  if (u.password !== "") add(u.password);
  for (const [name, value] of u.searchParams) if (isSecretName(name)) out.add(value);
  for (const m of u.search.slice(1).split("&")) {
    const eq = m.indexOf("=");
    if (eq > 0 && isSecretName(decodeSafe(m.slice(0, eq)))) add(m.slice(eq + 1));
  }
  return [...out].filter((s) => s.length >= MIN_LITERAL && s !== REDACTED);
}

function decodeSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * Text with secrets removed: every URL in it goes through {@link redactUrl}, every secret-looking
 * `name=value` pair loses its value, and each of the known `secrets` (e.g. {@link secretsOfUrl} of
 * the connection string in use, for messages that echo a value without its name) becomes `***`.
 */
export function redactText(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const s of [...secrets].filter((x) => x.length >= MIN_LITERAL).sort((a, b) => b.length - a.length)) out = out.replaceAll(s, REDACTED);
  out = out.replace(URL_IN_TEXT, (match) => {
    const url = match.replace(/[.,;:!?)\]}]+$/, "");
    return redactUrl(url) + match.slice(url.length);
  });
  return redactPairs(out);
}

/** A redactor for messages about one connection string: {@link redactText} with that URL's secrets. */
export function redactorFor(url: unknown): (text: string) => string {
  const secrets = typeof url === "string" ? secretsOfUrl(url) : [];
  return (text) => redactText(text, secrets);
}

/**
 * Redacts an error in place, through its `cause` chain and `AggregateError` members: its message,
 * stack and every other own string property (drivers attach e.g. `input` or `path`). Returns it.
 */
export function scrubError<T>(error: T, redact: (text: string) => string = redactText): T {
  const seen = new Set<unknown>();
  const visit = (e: unknown, depth: number): void => {
    if (e === null || typeof e !== "object" || seen.has(e) || depth > 8) return;
    seen.add(e);
    for (const key of Object.getOwnPropertyNames(e)) {
      const d = Object.getOwnPropertyDescriptor(e, key);
      if (d === undefined) continue;
      // Newer engines make `stack` an accessor; read it like a value.
      const value: unknown = "value" in d ? d.value : key === "stack" ? readStack(e) : undefined;
      if (typeof value === "string") {
        const clean = redact(value);
        if (clean !== value) {
          try {
            Object.defineProperty(e, key, { value: clean, writable: true, enumerable: d.enumerable ?? false, configurable: true });
          } catch {
            // a frozen error: nothing more can be done here
          }
        }
      } else if (key === "cause" || key === "errors") {
        if (Array.isArray(value)) for (const x of value) visit(x, depth + 1);
        else visit(value, depth + 1);
      }
    }
  };
  visit(error, 0);
  return error;
}

function readStack(e: object): unknown {
  try {
    return (e as { stack?: unknown }).stack;
  } catch {
    return undefined;
  }
}
