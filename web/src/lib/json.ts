// Reading JSON the server sent where the spec gives no type (error details, event payloads):
// as `unknown`, then field by field.

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The parsed text, or null when it is not JSON. */
export function parseJson(text: unknown): unknown {
  if (typeof text !== "string") return null;
  try {
    const v: unknown = JSON.parse(text);
    return v;
  } catch {
    return null;
  }
}

export function textField(o: Record<string, unknown>, key: string): string | undefined {
  const v = o[key];
  return typeof v === "string" ? v : undefined;
}
