/** The `errand` bin never prints a secret of a PostgreSQL URL, with or without ERRAND_DEBUG. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { freePort } from "../../bench/lib/pg-server.ts";
import { createProject, errand } from "./project.ts";

const SECRET = "S3cretValue";

const CONFIG = `
import { defineTask } from "errand";
import { postgresStore } from "errand/postgres";

const noop = defineTask({ id: "noop", run: async () => 1 });

export default {
  store: () => postgresStore({ connectionString: process.env.ERRAND_TEST_PG_URL!, connectTimeoutMs: 2000 }),
  tasks: [noop],
};
`;

describe("errand CLI: secrets in connection strings", () => {
  it("an unreachable database is reported without the password or secret parameters", { timeout: 120_000 }, async () => {
    const port = await freePort();
    const env = { ERRAND_TEST_PG_URL: `postgres://ada:${SECRET}0@127.0.0.1:${port}/app?password=${SECRET}&sslpassword=${SECRET}2&sslmode=disable` };
    const project = createProject(CONFIG);
    for (const args of [["runs"], ["migrate"], ["trigger", "noop"]]) {
      for (const debug of [{}, { ERRAND_DEBUG: "1" }]) {
        const r = await errand(project, args, { ...env, ...debug });
        assert.notEqual(r.code, 0, `errand ${args.join(" ")} should fail`);
        assert.match(r.stderr, /ECONNREFUSED|cannot reach/, r.stderr);
        assert.ok(!(r.stderr + r.stdout).includes(SECRET), `errand ${args.join(" ")} ${JSON.stringify(debug)} leaked:\n${r.stderr}`);
        assert.match(r.stderr, /password=\*\*\*/, "the URL is still shown, redacted");
      }
    }
  });

  it("an error of the user's config that quotes a URL is redacted too", { timeout: 60_000 }, async () => {
    const project = createProject(`throw new Error("no route to postgres://ada:${SECRET}@db.internal/app?password=${SECRET}");\n`);
    const r = await errand(project, ["runs"], { ERRAND_DEBUG: "1" });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /no route to postgres:\/\/ada:\*\*\*@db\.internal\/app\?password=\*\*\*/, r.stderr);
    assert.ok(!r.stderr.includes(SECRET), r.stderr);
  });
});
