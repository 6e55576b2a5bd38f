/**
 * Deep subset equality used by `waitForEvent({ match })`: every property of `pattern` must be present
 * in `value` with a matching value. Objects match recursively (extra properties in `value` are fine);
 * arrays and primitives must be equal element by element.
 */
export function matchesSubset(pattern: unknown, value: unknown): boolean {
  if (pattern === value) return true;
  if (pattern === null || value === null || typeof pattern !== "object" || typeof value !== "object") {
    return false;
  }
  if (Array.isArray(pattern)) {
    if (!Array.isArray(value) || value.length !== pattern.length) return false;
    return pattern.every((p, i) => deepEqual(p, value[i]));
  }
  if (Array.isArray(value)) return false;
  const v = value as Record<string, unknown>;
  for (const [k, p] of Object.entries(pattern as Record<string, unknown>)) {
    if (!Object.prototype.hasOwnProperty.call(v, k)) return false;
    if (!matchesSubset(p, v[k])) return false;
  }
  return true;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** Parses stored JSON texts and applies {@link matchesSubset}; a null pattern matches everything. */
export function matchesJson(patternJson: string | null, payloadJson: string): boolean {
  if (patternJson === null) return true;
  return matchesSubset(JSON.parse(patternJson), JSON.parse(payloadJson));
}
