/**
 * The store conformance suite: every Store implementation must pass it. Usage in a test file:
 *   runStoreConformance({ name: "my store", open: async () => ({ store, reopen?, cleanup }) });
 * It only uses the Store interface and explicit `now` values, never the wall clock.
 */
import { durableConformance } from "./durable.ts";
import type { ConformanceOptions } from "./harness.ts";
import { queriesConformance } from "./queries.ts";
import { runsConformance } from "./runs.ts";

export type { ConformanceOptions, OpenedStore } from "./harness.ts";

export function runStoreConformance(options: ConformanceOptions): void {
  runsConformance(options);
  durableConformance(options);
  queriesConformance(options);
}
