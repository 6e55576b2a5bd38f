// The `errand/testing` entry point: unit tests of durable tasks in virtual time (docs/testing.md).
export { createTestEngine, type TestEngine, type TestEngineOptions, type TestClock } from "./test-engine.ts";
export { RunBlockedError, type BlockedWait } from "./blocked.ts";
export { TestEngineClosedError } from "./settle.ts";
