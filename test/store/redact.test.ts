/** The one redaction function used wherever a URL or an error that may carry one is shown. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { inspect } from "node:util";
import { isSecretName, redactText, redactUrl, redactorFor, scrubError, secretsOfUrl } from "../../src/store/redact.ts";

const SECRET = "S3cretValue";

describe("redaction", () => {
  it("knows secret-looking parameter names", () => {
    for (const n of ["password", "sslpassword", "PASSWORD", "db_pass", "passfile", "client_secret", "access_token", "token", "sslkey", "api_key", "apikey", "auth", "Authorization"]) {
      assert.ok(isSecretName(n), n);
    }
    for (const n of ["user", "host", "sslmode", "sslcert", "application_name", "options", "port", "author", "idempotencyKey"]) {
      assert.ok(!isSecretName(n), n);
    }
  });

  it("redacts the password and every secret parameter of a URL, and keeps the rest", () => {
    const url = `postgres://ada:pw${SECRET}@db.example:5432/app?password=${SECRET}&sslpassword=${SECRET}2&sslkey=/keys/${SECRET}.key&api_token=${SECRET}3&sslmode=require&application_name=web`;
    const shown = redactUrl(url);
    assert.ok(!shown.includes(SECRET), shown);
    assert.equal(
      shown,
      "postgres://ada:***@db.example:5432/app?password=***&sslpassword=***&sslkey=***&api_token=***&sslmode=require&application_name=web",
    );
    const plain = "postgres://ada@db.example/app?sslmode=require&x=%20y";
    assert.equal(redactUrl(plain), plain, "a URL without secrets is shown verbatim");
    assert.equal(redactUrl(`postgres://ada@db:99999/app?password=${SECRET}`), "postgres://ada@db:99999/app?password=***", "an unparsable URL too");
    assert.equal(redactUrl(`postgres://ada:${SECRET}@db:99999/app`), "postgres://ada:***@db:99999/app");
    assert.ok(!redactUrl(`postgres://h/db?pass%77ord=${SECRET}`).includes(SECRET), "percent-encoded names are decoded first");
  });

  it("redacts URLs, name=value pairs and known secret values inside free text", () => {
    const text = `cannot use postgres://u@h/db?password=${SECRET}&sslmode=disable, schema x; libpq: host=h password='${SECRET} x' user=u; open '/keys/${SECRET}.pem'`;
    const shown = redactText(text, [SECRET]);
    assert.ok(!shown.includes(SECRET), shown);
    assert.match(shown, /postgres:\/\/u@h\/db\?password=\*\*\*&sslmode=disable, schema x/);
    assert.match(shown, /host=h password=\*\*\* user=u/);
    assert.match(shown, /open '\/keys\/\*\*\*\.pem'/);
    assert.equal(redactText("nothing to hide: run 01J failed (status=failed)"), "nothing to hide: run 01J failed (status=failed)");
    assert.equal(redactText("abc", ["ab"]), "abc", "very short values are not searched as bare text");
  });

  it("collects a URL's secret values, raw and decoded", () => {
    const secrets = secretsOfUrl("postgres://u:p%40ss%2Fword@h/db?sslpassword=a%2Bb%2Bc%2Bd&user=bob");
    assert.ok(secrets.includes("p%40ss%2Fword") && secrets.includes("p@ss/word"), String(secrets));
    assert.ok(secrets.includes("a+b+c+d"), String(secrets));
    assert.ok(!secrets.includes("bob"));
    assert.deepEqual(secretsOfUrl("not a url"), []);
  });

  it("scrubs an error in place through its cause chain, AggregateError members and extra properties", () => {
    const inner = Object.assign(new Error(`ENOENT: open '/k/${SECRET}'`), { path: `/k/${SECRET}`, code: "ENOENT" });
    const agg = new AggregateError([new Error(`at postgres://u:${SECRET}@h/db`)], "several");
    const top = new Error(`failed: postgres://u@h/db?password=${SECRET}`, { cause: new Error("middle", { cause: inner }) });
    (top as { other?: unknown }).other = agg;
    const redact = redactorFor(`postgres://u@h/db?sslkey=/k/${SECRET}&password=${SECRET}`);
    assert.equal(scrubError(top, redact), top);
    scrubError(agg, redact);
    const shown = inspect(top, { depth: 10 }) + inspect(agg, { depth: 10 });
    assert.ok(!shown.includes(SECRET), shown);
    assert.equal(inner.code, "ENOENT", "other properties are kept");
    assert.match(top.stack ?? "", /password=\*\*\*/, "the stack is redacted too");
    assert.doesNotThrow(() => scrubError(Object.freeze(new Error(SECRET)), redact));
    assert.equal(scrubError("plain string", redact), "plain string");
  });
});
