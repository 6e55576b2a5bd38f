/**
 * `engine.tokens` (docs/CONTRACT.md §8): complete waitpoint tokens from anywhere, and read them. The token id
 * is a credential: it never appears in an error message.
 */
import type { Store, TokenRecord } from "../store/types.ts";
import { fromJson, toJson } from "../vocabulary/json.ts";
import type { JsonCap } from "../vocabulary/limits.ts";
import { isTokenId, type TokenRefusal } from "../vocabulary/tokens.ts";

export interface TokenView {
  readonly id: string;
  /** The run that created the token (and waits for it). */
  readonly runId: string;
  /** The key it was created under (`ctx.createToken(key)`). */
  readonly key: string;
  readonly status: "waiting" | "completed" | "expired";
  /** The data it was completed with. */
  readonly output: unknown;
  readonly createdAt: Date;
  /** When it expires if not completed; null = never. */
  readonly timeoutAt: Date | null;
  /** When it was completed or expired. */
  readonly finishedAt: Date | null;
  /** Where to complete it over HTTP, when the engine knows its dashboard's address (`dashboardUrl`). */
  readonly url: string | null;
}

export type TokenCompleteResult =
  | { readonly completed: true; readonly token: TokenView }
  /** Not completed: unknown id, completed already (the first completion won), expired, or its run finished. */
  | { readonly completed: false; readonly reason: TokenRefusal; readonly token: TokenView | null };

export interface TokensApi {
  /** Completes a waiting token with `data` (JSON; its run's `waitForToken` resolves to `{ ok: true, output: data }`). Idempotent: only the first completion counts. */
  complete(id: string, data?: unknown): Promise<TokenCompleteResult>;
  get(id: string): Promise<TokenView | null>;
  /** The tokens a run created, oldest first. */
  list(options: { readonly runId: string }): Promise<TokenView[]>;
}

export interface TokensDeps {
  readonly store: Store;
  /** The engine's cap on the data completing a token (`limits.outputBytes`): it becomes a step result. */
  readonly outputCap: JsonCap;
  now(): number;
  ready(): Promise<void>;
  tokenUrl(id: string): string | null;
}

export function createTokensApi(deps: TokensDeps): TokensApi {
  const { store } = deps;
  const view = (t: TokenRecord): TokenView => ({
    id: t.id,
    runId: t.runId,
    key: t.key,
    status: t.status,
    output: fromJson(t.output),
    createdAt: new Date(t.createdAt),
    timeoutAt: t.timeoutAt === null ? null : new Date(t.timeoutAt),
    finishedAt: t.finishedAt === null ? null : new Date(t.finishedAt),
    url: deps.tokenUrl(t.id),
  });
  const checkId = (id: unknown, where: string) => {
    if (typeof id !== "string" || id === "") throw new TypeError(`${where}: \`id\` must be a token id (a non-empty string)`);
  };
  return {
    async complete(id, data = null) {
      checkId(id, "engine.tokens.complete");
      const output = toJson(data, "the data completing a waitpoint token", deps.outputCap);
      if (!isTokenId(id)) return { completed: false, reason: "notFound", token: null };
      await deps.ready();
      const r = await store.completeToken({ id, output, now: deps.now() });
      const token = r.token === null ? null : view(r.token);
      return r.completed ? { completed: true, token: token! } : { completed: false, reason: r.reason, token };
    },
    async get(id) {
      checkId(id, "engine.tokens.get");
      if (!isTokenId(id)) return null;
      await deps.ready();
      const t = await store.getToken({ id });
      return t === null ? null : view(t);
    },
    async list(options) {
      const runId = (options as { runId?: unknown } | null)?.runId;
      if (typeof runId !== "string" || runId === "") throw new TypeError("engine.tokens.list: option `runId` must be a run id");
      await deps.ready();
      return (await store.listTokens({ runId })).map(view);
    },
  };
}

/** `createEngine`'s `dashboardUrl`, checked: an http(s) URL without query or fragment, no trailing slash. */
export function dashboardBase(value: unknown): string | null {
  if (value === undefined) return null;
  const what = "createEngine: option `dashboardUrl`";
  if (typeof value !== "string") throw new TypeError(`${what} must be the dashboard's public URL, e.g. "https://ops.example.com/errand"`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TypeError(`${what} must be an absolute URL, e.g. "https://ops.example.com/errand"`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new TypeError(`${what} must be an http or https URL`);
  if (url.search !== "" || url.hash !== "" || url.username !== "" || url.password !== "") {
    throw new TypeError(`${what} must be the dashboard's origin and base path only (no query, fragment or credentials)`);
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
}
