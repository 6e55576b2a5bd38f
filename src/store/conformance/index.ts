/**
 * The store conformance suite: every Store implementation must pass it. Usage in a test file:
 *   runStoreConformance({ name: "my store", open: async () => ({ store, reopen?, cleanup }) });
 * It only uses the Store interface and explicit `now` values, never the wall clock for timing.
 * `reopen` (a second connection to the same database) turns the cross-process checks (queue limits,
 * duplicate idempotency keys, concurrent claims, schedule CAS) into real two-connection races.
 */
import { claimedInsertConformance } from "./claimed-insert.ts";
import { claimsConformance } from "./claims.ts";
import { eventRunsConformance } from "./event-runs.ts";
import { eventsChildrenConformance } from "./events-children.ts";
import { finishConformance } from "./finish.ts";
import type { ConformanceOptions } from "./harness.ts";
import { limitsConformance } from "./limits.ts";
import { debounceConformance } from "./debounce.ts";
import { rateLimitsConformance } from "./rate-limits.ts";
import { routingConformance } from "./routing.ts";
import { payloadsConformance } from "./payloads.ts";
import { queriesConformance } from "./queries.ts";
import { runsConformance } from "./runs.ts";
import { schedulesConformance } from "./schedules.ts";
import { statsConformance } from "./stats.ts";
import { stepsWaitsConformance } from "./steps-waits.ts";
import { tokensConformance } from "./tokens.ts";

export type { ConformanceOptions, OpenedStore } from "./harness.ts";
export { reopenable } from "./harness.ts";

export function runStoreConformance(options: ConformanceOptions): void {
  runsConformance(options);
  claimsConformance(options);
  claimedInsertConformance(options);
  limitsConformance(options);
  routingConformance(options);
  rateLimitsConformance(options);
  debounceConformance(options);
  finishConformance(options);
  payloadsConformance(options);
  stepsWaitsConformance(options);
  eventsChildrenConformance(options);
  eventRunsConformance(options);
  tokensConformance(options);
  queriesConformance(options);
  statsConformance(options);
  schedulesConformance(options);
}
