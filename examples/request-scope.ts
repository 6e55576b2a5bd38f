/**
 * Request-scoped tasks with node:http: one context per request, its signal aborted when the client
 * goes away. A profile loads the user and the orders in parallel; both need auth, which runs once.
 *
 *   npx tsx examples/request-scope.ts            # serves http://127.0.0.1:3000/profile?token=t1
 *   npx tsx examples/request-scope.ts --once     # one self-request, prints the JSON, exits
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createContext, task, type Context } from "errand";

// --- a pretend database: every query takes a little time and honours the abort signal ------------
const USERS = new Map([[1, { id: 1, name: "Ada" }], [2, { id: 2, name: "Grace" }]]);
const ORDERS = [{ userId: 1, total: 30 }, { userId: 1, total: 12 }, { userId: 2, total: 99 }];
const TOKENS = new Map([["t1", 1], ["t2", 2]]);

function query<T>(signal: AbortSignal, compute: () => T, ms = 5): Promise<T> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => resolve(compute()), ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(signal.reason);
    }, { once: true });
  });
}

/** Per-request query counter: a task without input is a request-scoped singleton. */
const queryLog = task((_ctx: Context): Record<string, number> => ({}));
async function count(ctx: Context, name: string): Promise<void> {
  const log = await queryLog.run(ctx, undefined);
  log[name] = (log[name] ?? 0) + 1;
}

// --- tasks --------------------------------------------------------------------------------------
const auth = task(async function auth(ctx: Context, token: string) {
  await count(ctx, "auth");
  const userId = await query(ctx.signal, () => TOKENS.get(token));
  if (userId === undefined) throw Object.assign(new Error("unknown token"), { status: 401 });
  return { userId };
});

const getUser = task(async function getUser(ctx: Context, token: string) {
  const { userId } = await auth.run(ctx, token);
  await count(ctx, "user");
  return query(ctx.signal, () => USERS.get(userId)!);
});

const getOrders = task({
  id: "get-orders",
  key: (q: { token: string }) => q.token,
  run: async (ctx, q) => {
    const { userId } = await auth.run(ctx, q.token);
    await count(ctx, "orders");
    return query(ctx.signal, () => ORDERS.filter((o) => o.userId === userId));
  },
});

const getProfile = task(async function getProfile(ctx: Context, token: string) {
  const [user, orders] = await ctx.all([getUser.bind(token), getOrders.bind({ token })]);
  return { name: user.name, orderCount: orders.length, spent: orders.reduce((s, o) => s + o.total, 0) };
});

// --- HTTP -----------------------------------------------------------------------------------------
async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", "http://localhost");
  if (url.pathname !== "/profile") {
    res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: "not found" }));
    return;
  }
  const abort = new AbortController();
  res.on("close", () => {
    if (!res.writableFinished) abort.abort(new Error("client closed the connection"));
  });
  const ctx = createContext({ signal: abort.signal });
  const token = url.searchParams.get("token") ?? "";
  try {
    // user and orders are also loaded by the profile: each runs once for this request.
    const [user, orders, profile] = await ctx.all([getUser.bind(token), getOrders.bind({ token }), getProfile.bind(token)]);
    const queries = await queryLog.run(ctx, undefined);
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ user, orders, profile, queries }));
  } catch (error) {
    if (abort.signal.aborted) return; // nobody is listening any more
    const status = (error as { status?: number }).status ?? 500;
    res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify({ error: (error as Error).message }));
  }
}

const server = createServer((req, res) => void handle(req, res));
const once = process.argv.includes("--once");
server.listen(once ? 0 : Number(process.env["PORT"] ?? 3000), "127.0.0.1", async () => {
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}/profile?token=t1`;
  if (!once) {
    console.log(`listening: ${url}`);
    return;
  }
  try {
    const res = await fetch(url);
    console.log(JSON.stringify(await res.json(), null, 2));
    process.exitCode = res.ok ? 0 : 1;
  } finally {
    server.close();
  }
});
