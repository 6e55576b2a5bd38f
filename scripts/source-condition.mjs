// A module resolution hook that adds the "errand-source" export condition, as
// `node --conditions=errand-source` does. See scripts/source-cli.mjs.
export async function resolve(specifier, context, nextResolve) {
  if (context.conditions.includes("errand-source")) return nextResolve(specifier, context);
  return nextResolve(specifier, { ...context, conditions: [...context.conditions, "errand-source"] });
}
