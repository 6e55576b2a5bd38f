/** Conformance: waitpoint tokens — creation fenced by the lease, completion (first wins, also across connections), timeouts. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { NewToken, Store } from "../types.ts";
import { CANCELED, claim, createAndClaim, step, T0, wait, withStore, withTwo, type ConformanceOptions } from "./harness.ts";

/** The token `key` of run `runId` (created by worker `w1`, which holds the run). */
async function makeToken(s: Store, runId: string, key: string, timeoutAt: number | null = null, id = `tok_${key}_${runId}`): Promise<NewToken> {
  const token: NewToken = { id, key, createdAt: T0, timeoutAt };
  const stepOutput = JSON.stringify({ id });
  assert.equal(await s.createToken({ workerId: "w1", runId, token, step: step(key, { kind: "token", output: stepOutput, finishedAt: T0 }), now: T0 }), true);
  return token;
}

/** Suspends `runId` (held by w1) on its token `key`. */
const waitOn = (s: Store, runId: string, key: string, now = T0) =>
  s.suspendRun({ workerId: "w1", runId, waits: [wait({ key: `${key}/wait`, parentKey: key, kind: "token" })], now });

const outputOf = async (s: Store, runId: string, key: string) => JSON.parse((await s.getSteps({ runId })).find((x) => x.key === key)!.output!);

export function tokensConformance(o: ConformanceOptions): void {
  describe(`${o.name}: waitpoint tokens`, () => {
    it("a token is stored with its step, only by the worker holding the run", () =>
      withStore(o, async (s) => {
        const [id] = await createAndClaim(s, 1, "w1");
        const token = await makeToken(s, id!, "approve", T0 + 1000);
        const lost = { id: "tok_other", key: "other", createdAt: T0, timeoutAt: null };
        assert.equal(await s.createToken({ workerId: "w2", runId: id!, token: lost, step: step("other", { kind: "token" }), now: T0 }), false);
        assert.equal(await s.getToken({ id: "tok_other" }), null, "nothing written without the lease");
        const stored = await s.getToken({ id: token.id });
        assert.deepEqual(stored, { ...token, runId: id!, status: "waiting", output: null, finishedAt: null });
        assert.deepEqual((await s.listTokens({ runId: id! })).map((t) => t.id), [token.id]);
        const steps = await s.getSteps({ runId: id! });
        assert.deepEqual(steps.map((x) => [x.key, x.kind, x.status, x.output]), [["approve", "token", "completed", JSON.stringify({ id: token.id })]]);
      }));

    it("completing a token resolves the run's wait with { ok: true, output } and wakes it; the second completion is refused", () =>
      withStore(o, async (s) => {
        const [id] = await createAndClaim(s, 1, "w1");
        const token = await makeToken(s, id!, "approve", T0 + 60_000);
        assert.equal(await waitOn(s, id!, "approve"), "waiting");
        const waiting = (await s.getRun({ id: id! }))!;
        assert.deepEqual([waiting.status, waiting.runAt], ["waiting", T0 + 60_000], "the token's timeout is the wait's timer");
        const first = await s.completeToken({ id: token.id, output: '{"approved":true}', now: T0 + 5 });
        assert.equal(first.completed, true);
        assert.deepEqual([first.token?.status, first.token?.output, first.token?.finishedAt], ["completed", '{"approved":true}', T0 + 5]);
        const woken = (await s.getRun({ id: id! }))!;
        assert.deepEqual([woken.status, woken.runAt], ["queued", T0 + 5]);
        const second = await s.completeToken({ id: token.id, output: '{"approved":false}', now: T0 + 6 });
        assert.deepEqual([second.completed, second.completed ? null : second.reason], [false, "alreadyCompleted"]);
        const [claimed] = await claim(s, "w2", T0 + 7);
        const waitStep = claimed!.steps.find((x) => x.key === "approve/wait")!;
        assert.deepEqual([waitStep.kind, waitStep.status, JSON.parse(waitStep.output!)], ["token", "completed", { ok: true, output: { approved: true } }]);
        assert.equal((await s.getToken({ id: token.id }))!.output, '{"approved":true}', "the first completion won");
      }));

    it("a token completed before the run waits for it: the wait resolves at once", () =>
      withStore(o, async (s) => {
        const [id] = await createAndClaim(s, 1, "w1");
        const token = await makeToken(s, id!, "cb");
        assert.equal((await s.completeToken({ id: token.id, output: "42", now: T0 + 1 })).completed, true);
        assert.equal(await waitOn(s, id!, "cb", T0 + 2), "queued");
        assert.deepEqual(await outputOf(s, id!, "cb/wait"), { ok: true, output: 42 });
      }));

    it("an unknown token, and a token whose run finished, are refused", () =>
      withStore(o, async (s) => {
        const unknown = await s.completeToken({ id: "tok_nope", output: "1", now: T0 });
        assert.deepEqual([unknown.completed, unknown.completed ? null : unknown.reason, unknown.token], [false, "notFound", null]);
        const [id] = await createAndClaim(s, 1, "w1");
        const token = await makeToken(s, id!, "t");
        await waitOn(s, id!, "t");
        await s.cancelRun({ id: id!, error: CANCELED, now: T0 + 1 });
        const late = await s.completeToken({ id: token.id, output: "1", now: T0 + 2 });
        assert.deepEqual([late.completed, late.completed ? null : late.reason], [false, "runFinished"]);
        assert.equal((await s.getToken({ id: token.id }))!.status, "waiting");
      }));

    it("a token past its timeout expires: the wait resolves to { ok: false, error } at claim, and completion is refused", () =>
      withStore(o, async (s) => {
        const [id] = await createAndClaim(s, 1, "w1");
        const token = await makeToken(s, id!, "t", T0 + 100);
        await waitOn(s, id!, "t");
        assert.deepEqual(await claim(s, "w2", T0 + 99), [], "not before the timeout");
        const [claimed] = await claim(s, "w2", T0 + 100);
        const out = JSON.parse(claimed!.steps.find((x) => x.key === "t/wait")!.output!);
        assert.deepEqual([out.ok, out.error.name], [false, "WaitpointTimeoutError"]);
        const expired = (await s.getToken({ id: token.id }))!;
        assert.deepEqual([expired.status, expired.finishedAt], ["expired", T0 + 100]);
        const late = await s.completeToken({ id: token.id, output: "1", now: T0 + 50 });
        assert.deepEqual([late.completed, late.completed ? null : late.reason], [false, "expired"], "even with a clock behind the timeout");
      }));

    it("completion at or after the timeout is refused before any timer fired; a wait begun after it resolves expired", () =>
      withStore(o, async (s) => {
        const [id] = await createAndClaim(s, 1, "w1");
        const token = await makeToken(s, id!, "t", T0 + 100);
        const late = await s.completeToken({ id: token.id, output: "1", now: T0 + 100 });
        assert.deepEqual([late.completed, late.completed ? null : late.reason], [false, "expired"]);
        assert.equal(await waitOn(s, id!, "t", T0 + 150), "queued");
        assert.equal((await outputOf(s, id!, "t/wait")).error.name, "WaitpointTimeoutError");
        assert.equal((await s.getToken({ id: token.id }))!.status, "expired");
      }));

    it("a wait on a token the run does not have resolves at once to an error", () =>
      withStore(o, async (s) => {
        const [id] = await createAndClaim(s, 1, "w1");
        assert.equal(await waitOn(s, id!, "missing"), "queued");
        const out = await outputOf(s, id!, "missing/wait");
        assert.deepEqual([out.ok, out.error.name], [false, "WaitpointNotFoundError"]);
      }));

    it("two connections completing the same token at once: exactly one wins, and its data is what the run gets", () =>
      withTwo(o, async (a, b) => {
        const ids = await createAndClaim(a, 5, "w1");
        const tokens: NewToken[] = [];
        for (const id of ids) {
          tokens.push(await makeToken(a, id, "race"));
          await waitOn(a, id, "race");
        }
        for (const [i, t] of tokens.entries()) {
          const [x, y] = await Promise.all([
            a.completeToken({ id: t.id, output: '"a"', now: T0 + 10 }),
            b.completeToken({ id: t.id, output: '"b"', now: T0 + 10 }),
          ]);
          assert.equal([x, y].filter((r) => r.completed).length, 1, "one completer wins");
          const loser = x.completed ? y : x;
          assert.equal(loser.completed ? null : loser.reason, "alreadyCompleted");
          const winner = x.completed ? '"a"' : '"b"';
          assert.deepEqual(await outputOf(a, ids[i]!, "race/wait"), { ok: true, output: JSON.parse(winner) });
          assert.equal((await a.getRun({ id: ids[i]! }))!.status, "queued");
        }
      }));

    it("a completion racing the timeout's claim: the run sees exactly the outcome the completer was told", () =>
      withTwo(o, async (a, b) => {
        const ids = await createAndClaim(a, 4, "w1");
        for (const id of ids) {
          await makeToken(a, id, "t", T0 + 100, `tok_race_${id}`);
          await waitOn(a, id, "t");
        }
        // The completer's clock is behind the timeout; the claimer's has passed it.
        const [claimed, ...completions] = await Promise.all([
          claim(b, "w2", T0 + 100),
          ...ids.map((id) => a.completeToken({ id: `tok_race_${id}`, output: '"done"', now: T0 + 99 })),
        ]);
        const claimedIds = new Set(claimed.map((c) => c.run.id));
        for (const [i, id] of ids.entries()) {
          const status = (await a.getRun({ id }))!.status;
          assert.equal(status, claimedIds.has(id) ? "running" : "queued", "claimed now, or woken for the next claim");
          const c = completions[i]!;
          const out = await outputOf(a, id, "t/wait");
          const token = (await a.getToken({ id: `tok_race_${id}` }))!;
          if (c.completed) {
            assert.deepEqual([out, token.status], [{ ok: true, output: "done" }, "completed"]);
          } else {
            assert.equal(c.reason, "expired");
            assert.deepEqual([out.ok, out.error.name, token.status], [false, "WaitpointTimeoutError", "expired"]);
          }
        }
      }));

    it("prune deletes the tokens of pruned runs", () =>
      withStore(o, async (s) => {
        const [id] = await createAndClaim(s, 1, "w1");
        const token = await makeToken(s, id!, "t");
        await s.completeRuns({ workerId: "w1", items: [{ runId: id!, output: "1" }], now: T0 + 1 });
        assert.equal(await s.prune({ finishedBefore: T0 + 10, now: T0 + 10 }), 1);
        assert.equal(await s.getToken({ id: token.id }), null);
        assert.deepEqual(await s.listTokens({ runId: id! }), []);
      }));
  });
}
