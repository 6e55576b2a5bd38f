/**
 * The OpenTelemetry API as the engine uses it: is anything recording (a provider registered), and
 * a run's trace context to and from the text stored on the run. Only `@opentelemetry/api` is used;
 * with no provider registered every hook point costs one global lookup and returns null.
 */
import {
  context,
  createTraceState,
  isSpanContextValid,
  metrics,
  propagation,
  ProxyTracerProvider,
  ROOT_CONTEXT,
  trace,
  createNoopMeter,
  type Context,
  type Meter,
  type MeterProvider,
  type Span,
  type Tracer,
  type TracerProvider,
} from "@opentelemetry/api";

/** The instrumentation scope of every span and instrument the engine makes. */
export const SCOPE = "errand";

/** What a provider-less proxy delegates to: the API's no-op tracer provider. */
const NOOP_TRACER_PROVIDER = new ProxyTracerProvider().getDelegate();
const NOOP_METER = createNoopMeter();

let tracerOf: TracerProvider | null = null;
let tracer: Tracer | null = null;

/** The engine's tracer, or null when no tracer provider is registered (nothing would record). */
export function activeTracer(): Tracer | null {
  const global = trace.getTracerProvider();
  const provider = global instanceof ProxyTracerProvider ? global.getDelegate() : global;
  if (provider === NOOP_TRACER_PROVIDER) return null;
  if (provider !== tracerOf) {
    tracerOf = provider;
    tracer = provider.getTracer(SCOPE);
  }
  return tracer;
}

let meterOf: MeterProvider | null = null;
let meter: Meter | null = null;

/** The engine's meter, or null when no meter provider is registered. */
export function activeMeter(): Meter | null {
  const provider = metrics.getMeterProvider();
  if (provider !== meterOf) {
    meterOf = provider;
    const m = provider.getMeter(SCOPE);
    meter = m === NOOP_METER ? null : m;
  }
  return meter;
}

/** The stored form of a span's context: `{"traceparent", "tracestate"?, …}` as JSON (W3C trace context). */
export function storedContext(span: Span, ctx: Context): string | null {
  const sc = span.spanContext();
  if (!isSpanContextValid(sc)) return null;
  // Whatever the registered propagator carries (baggage, vendor headers), then the W3C fields in any case.
  const carrier: Record<string, string> = {};
  propagation.inject(trace.setSpan(ctx, span), carrier);
  carrier["traceparent"] = `00-${sc.traceId}-${sc.spanId}-${(sc.traceFlags & 0xff).toString(16).padStart(2, "0")}`;
  const state = sc.traceState?.serialize();
  if (state) carrier["tracestate"] = state;
  return JSON.stringify(carrier);
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** The context a stored trace context continues (a remote parent), or the root context when there is none or it is unreadable. */
export function restoredContext(stored: string | null): Context {
  if (stored === null) return ROOT_CONTEXT;
  let carrier: Record<string, string>;
  try {
    const parsed: unknown = JSON.parse(stored);
    if (parsed === null || typeof parsed !== "object") return ROOT_CONTEXT;
    carrier = parsed as Record<string, string>;
  } catch {
    return ROOT_CONTEXT;
  }
  const extracted = propagation.extract(ROOT_CONTEXT, carrier);
  if (trace.getSpan(extracted) !== undefined) return extracted;
  const m = typeof carrier["traceparent"] === "string" ? TRACEPARENT.exec(carrier["traceparent"]) : null;
  if (m === null) return extracted;
  const state = carrier["tracestate"];
  return trace.setSpanContext(extracted, {
    traceId: m[1]!,
    spanId: m[2]!,
    traceFlags: parseInt(m[3]!, 16),
    isRemote: true,
    ...(typeof state === "string" && state !== "" ? { traceState: createTraceState(state) } : {}),
  });
}

/** The context a span opens in: the active one (a request handler's span, a step's span). */
export function activeContext(): Context {
  return context.active();
}
