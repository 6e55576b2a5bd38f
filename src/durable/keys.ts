/** Step keys given by task code. */

/** A key a task gives to a step, sleep or wait: a non-empty string without "/" (which separates nested keys). */
export function checkKey(key: unknown, what: string): string {
  if (typeof key !== "string" || key === "") throw new TypeError(`${what}: the key must be a non-empty string`);
  if (key.includes("/")) throw new TypeError(`${what}: the key "${key}" must not contain "/" (it separates nested step keys)`);
  return key;
}
