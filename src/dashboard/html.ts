/**
 * The one escaping helper of the dashboard. Every page is built with the {@link html} tagged template:
 * interpolated values are HTML-escaped unless they are {@link SafeHtml} made by `html` itself, so a
 * payload or error message containing markup always renders as text.
 */

/** Markup that is already safe to emit (built by {@link html} or {@link raw}). */
export class SafeHtml {
  readonly #text: string;
  constructor(text: string) {
    this.#text = text;
  }
  toString(): string {
    return this.#text;
  }
}

const ESCAPES: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
  "`": "&#96;",
};

/** Escapes text for use in element content and in quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"'`]/g, (c) => ESCAPES[c]!);
}

/** Values an `html` template accepts: arrays are joined, null/undefined/false render nothing. */
export type HtmlValue = SafeHtml | string | number | boolean | null | undefined | readonly HtmlValue[];

function render(value: HtmlValue): string {
  if (value === null || value === undefined || value === false) return "";
  if (value instanceof SafeHtml) return value.toString();
  if (Array.isArray(value)) return value.map((v: HtmlValue) => render(v)).join("");
  return escapeHtml(value);
}

/** Tagged template: escapes every interpolated value that is not already {@link SafeHtml}. */
export function html(strings: TemplateStringsArray, ...values: readonly HtmlValue[]): SafeHtml {
  let out = strings[0] ?? "";
  for (let i = 0; i < values.length; i++) out += render(values[i]) + (strings[i + 1] ?? "");
  return new SafeHtml(out);
}

/** Trusted constant markup (never user data). */
export function raw(text: string): SafeHtml {
  return new SafeHtml(text);
}

/**
 * JSON for a `<script type="application/json">` block: `<`, `>`, `&`, U+2028 and U+2029 are written as
 * unicode escapes so the text can neither close the script element nor start a comment.
 */
export function jsonForScript(value: unknown): SafeHtml {
  const text = JSON.stringify(value ?? null).replace(/[<>&\u2028\u2029]/g, (c) => {
    return "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0");
  });
  return new SafeHtml(text);
}

/** Pretty JSON of a value for display (escaped by the caller's template). */
export function prettyJson(value: unknown): string {
  if (value === undefined) return "undefined";
  try {
    return JSON.stringify(value, null, 2) ?? "null";
  } catch {
    return String(value);
  }
}
