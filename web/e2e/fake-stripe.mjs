// A stand-in for Stripe (node:http, no dependencies) speaking its wire format for what the
// server's billing calls: Checkout Sessions in subscription mode, Subscriptions (read, cancel at
// the period's end, resume, cancel now), Customers and Billing Portal sessions, with Stripe's
// authentication (`Authorization: Bearer sk_test_…`), form-encoded bodies with bracketed keys
// (`line_items[0][price]=…`), idempotency keys (a key seen before answers the first answer
// again; the same key with other parameters is refused) and error shape
// (`{"error":{"type":"invalid_request_error","message":…}}`).
//
// It also plays the browser-facing pages: the hosted checkout (`/checkout/<id>`: the price,
// "Pay" and "Back") and the customer portal (`/portal/<id>`: "Return to Blockbuilders"). "Pay"
// creates the customer and the subscription and sends, signed like Stripe (`Stripe-Signature:
// t=…,v1=<hex HMAC-SHA256 of "t.body" keyed with the whsec_… string>`), the events
// `checkout.session.completed` and `customer.subscription.created` to `webhookUrl`, awaiting
// both answers, before sending the browser back to the success URL. `failPayment(subId)` and
// `payInvoice(subId)` play a renewal failing and then succeeding.
//
//   const fake = await startFakeStripe({ webhookSecret: "whsec_…" });
//   fake.webhookUrl = `${server.url}/api/v1/billing/stripe-webhook`; // once the server is up
//   …
//   await fake.stop();
//
// Objects follow the 2025+ ("basil") API: a subscription's period lives on its items
// (`items.data[0].current_period_end`), an invoice names its subscription under
// `parent.subscription_details.subscription`. Times are Unix seconds, as Stripe's.
import { createHmac, randomBytes } from "node:crypto";
import { createServer } from "node:http";

export const API_VERSION = "2026-09-30.endive";

/** The prices the fake knows (an unknown one is refused as Stripe does: "No such price"). */
const DEFAULT_PRICES = {
  price_premium: { product: "Blockbuilders Premium", amount: 1200, currency: "usd", interval: "month" },
  price_educator: { product: "Blockbuilders Educator", amount: 2900, currency: "usd", interval: "month" },
};

const DAY = 24 * 60 * 60;

const now = () => Math.floor(Date.now() / 1000);
const newId = (prefix) => `${prefix}_${randomBytes(12).toString("hex")}`;
const clone = (v) => JSON.parse(JSON.stringify(v));

/** Stripe's error: `{"error": {type, message, code?, param?}}` with its HTTP status. */
class StripeError extends Error {
  constructor(status, message, { type = "invalid_request_error", code, param } = {}) {
    super(message);
    this.status = status;
    this.body = { error: { type, message, ...(code ? { code } : {}), ...(param ? { param } : {}) } };
  }
}

const missing = (param) => new StripeError(400, `Missing required param: ${param}.`, { code: "parameter_missing", param });
const noSuch = (what, id, param) =>
  new StripeError(404, `No such ${what}: '${id}'`, { code: "resource_missing", ...(param ? { param } : {}) });

/**
 * Parses Stripe's form encoding (`a[b][0][c]=v`) into nested objects; an object whose keys are
 * all 0…n-1 becomes an array. `expand[]=x` gives an array too.
 */
export function parseForm(text) {
  const root = {};
  for (const [key, value] of new URLSearchParams(text)) {
    const head = key.match(/^[^[]+/);
    if (!head) continue;
    const path = [head[0], ...[...key.slice(head[0].length).matchAll(/\[([^\]]*)\]/g)].map((m) => m[1])];
    let node = root;
    for (let i = 0; i < path.length; i++) {
      let k = path[i];
      if (k === "") k = String(Object.keys(node).length); // `expand[]`
      if (i === path.length - 1) node[k] = value;
      else {
        if (typeof node[k] !== "object" || node[k] === null) node[k] = {};
        node = node[k];
      }
    }
  }
  const arrays = (v) => {
    if (typeof v !== "object" || v === null) return v;
    const keys = Object.keys(v);
    for (const k of keys) v[k] = arrays(v[k]);
    if (keys.length > 0 && keys.every((k, i) => k === String(i))) return keys.map((k) => v[k]);
    return v;
  };
  return arrays(root);
}

/** Stripe's form encoding of an object (for callers of the fake that want to send one). */
export function formEncode(obj, prefix = "", out = new URLSearchParams()) {
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}[${k}]` : k;
    if (v !== null && typeof v === "object") formEncode(v, key, out);
    else if (v !== undefined) out.append(key, String(v));
  }
  return out;
}

/** The `Stripe-Signature` header for `payload` (a string) at Unix second `t`. */
export function stripeSignature(payload, secret, t = now()) {
  const v1 = createHmac("sha256", Buffer.from(secret, "utf8")).update(`${t}.${payload}`, "utf8").digest("hex");
  return `t=${t},v1=${v1}`;
}

const escapeHtml = (s) =>
  String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

function html(title, body) {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 0; padding: 2rem 1rem; background: #f6f9fc; color: #1a1f36; }
main { max-width: 28rem; margin: 0 auto; background: #fff; border-radius: 8px; padding: 1.5rem; box-shadow: 0 1px 3px #0002; }
.price { font-size: 1.6rem; font-weight: 600; margin: 0.5rem 0 1rem; }
button { font: inherit; background: #0a54c8; color: #fff; border: 0; border-radius: 6px; padding: 0.7rem 1.4rem; cursor: pointer; width: 100%; }
a { color: #0a54c8; }
.test { color: #8a4b00; font-size: 0.9rem; }
</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>`;
}

function money(price) {
  return `$${(price.amount / 100).toFixed(2)} per ${price.interval}`;
}

/**
 * Starts the fake on 127.0.0.1 (a free port). `webhookUrl` may be set later
 * (`fake.webhookUrl = …`); `prices` replaces the known prices.
 */
export async function startFakeStripe({ webhookUrl = null, webhookSecret, prices = DEFAULT_PRICES } = {}) {
  if (!webhookSecret) throw new Error("startFakeStripe needs the webhookSecret (whsec_…)");
  const customers = new Map();
  const sessions = new Map();
  const subscriptions = new Map();
  const invoices = new Map();
  const portals = new Map();
  /** Each API call: `{ method, path, query, body, stripeVersion, idempotencyKey, authorized, status, replayed, at }`. */
  const requests = [];
  /** Each event sent: `{ event, status, answer, error }` (status null when it could not be sent). */
  const events = [];
  /** Idempotency-Key → `{ fingerprint, status, body }`. */
  const idempotent = new Map();
  let base = "";

  const fake = {
    url: "",
    webhookUrl,
    webhookSecret,
    customers,
    sessions,
    subscriptions,
    invoices,
    requests,
    events,
    failPayment,
    payInvoice,
    stop,
  };

  // --- Events --------------------------------------------------------------------------------

  /** Sends one signed event to the webhook URL and waits for the answer. */
  async function send(type, object, previousAttributes) {
    const event = {
      id: newId("evt"),
      object: "event",
      api_version: API_VERSION,
      created: now(),
      data: { object: clone(object), ...(previousAttributes ? { previous_attributes: previousAttributes } : {}) },
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      type,
    };
    const payload = JSON.stringify(event, null, 2);
    const record = { event, status: null, answer: null, error: null };
    events.push(record);
    if (!fake.webhookUrl) {
      record.error = "no webhookUrl";
      return record;
    }
    try {
      const r = await fetch(fake.webhookUrl, {
        method: "POST",
        headers: {
          "Content-Type": "application/json; charset=utf-8",
          "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
          "Stripe-Signature": stripeSignature(payload, fake.webhookSecret),
        },
        body: payload,
      });
      record.status = r.status;
      record.answer = await r.text();
    } catch (e) {
      record.error = String(e?.message ?? e);
    }
    return record;
  }

  // --- Objects -------------------------------------------------------------------------------

  function customerFor(session) {
    if (session.customer) return customers.get(session.customer);
    const customer = {
      id: newId("cus"),
      object: "customer",
      created: now(),
      email: session.customer_email ?? null,
      livemode: false,
      metadata: clone(session.metadata ?? {}),
    };
    customers.set(customer.id, customer);
    return customer;
  }

  function periodEnd(sub) {
    return sub.items.data[0].current_period_end;
  }

  function createSubscription(session, customer) {
    const t = now();
    const id = newId("sub");
    const sub = {
      id,
      object: "subscription",
      billing_cycle_anchor: t,
      cancel_at: null,
      cancel_at_period_end: false,
      canceled_at: null,
      collection_method: "charge_automatically",
      created: t,
      currency: prices[session.price]?.currency ?? "usd",
      customer: customer.id,
      ended_at: null,
      items: {
        object: "list",
        data: [
          {
            id: newId("si"),
            object: "subscription_item",
            created: t,
            current_period_start: t,
            current_period_end: t + 30 * DAY,
            price: { id: session.price, object: "price", currency: prices[session.price]?.currency ?? "usd", unit_amount: prices[session.price]?.amount ?? null, recurring: { interval: prices[session.price]?.interval ?? "month", interval_count: 1 } },
            quantity: Number(session.quantity) || 1,
            subscription: id,
          },
        ],
        has_more: false,
        url: `/v1/subscription_items?subscription=${id}`,
      },
      latest_invoice: null,
      livemode: false,
      metadata: clone(session.subscription_metadata ?? {}),
      start_date: t,
      status: "active",
      trial_end: null,
      trial_start: null,
    };
    subscriptions.set(id, sub);
    return sub;
  }

  function newInvoice(sub, status) {
    const t = now();
    const invoice = {
      id: newId("in"),
      object: "invoice",
      amount_due: sub.items.data[0].price.unit_amount ?? 0,
      amount_paid: status === "paid" ? (sub.items.data[0].price.unit_amount ?? 0) : 0,
      attempt_count: 1,
      attempted: true,
      billing_reason: "subscription_cycle",
      created: t,
      currency: sub.currency,
      customer: sub.customer,
      livemode: false,
      next_payment_attempt: status === "open" ? t + 3 * DAY : null,
      parent: { type: "subscription_details", subscription_details: { metadata: clone(sub.metadata), subscription: sub.id } },
      period_start: sub.items.data[0].current_period_start,
      period_end: periodEnd(sub),
      status,
      status_transitions: { paid_at: status === "paid" ? t : null, finalized_at: t },
    };
    invoices.set(invoice.id, invoice);
    sub.latest_invoice = invoice.id;
    return invoice;
  }

  function subscription(id) {
    const sub = subscriptions.get(id);
    if (!sub) throw new Error(`the fake Stripe has no subscription ${id}`);
    return sub;
  }

  /** A renewal fails: the subscription turns past_due; `invoice.payment_failed`, then
   * `customer.subscription.updated`. Resolves once the server has answered both. */
  async function failPayment(subId) {
    const sub = subscription(subId);
    const previous = { status: sub.status, latest_invoice: sub.latest_invoice };
    const invoice = newInvoice(sub, "open");
    sub.status = "past_due";
    const sent = [await send("invoice.payment_failed", invoice)];
    sent.push(await send("customer.subscription.updated", sub, previous));
    return { invoice: clone(invoice), events: sent };
  }

  /** The open invoice (or a new one) is paid: the subscription is active again; `invoice.paid`,
   * then `customer.subscription.updated`. */
  async function payInvoice(subId) {
    const sub = subscription(subId);
    const previous = sub.status;
    let invoice = sub.latest_invoice ? invoices.get(sub.latest_invoice) : null;
    if (invoice && invoice.status === "open") {
      invoice.status = "paid";
      invoice.amount_paid = invoice.amount_due;
      invoice.attempt_count += 1;
      invoice.next_payment_attempt = null;
      invoice.status_transitions.paid_at = now();
    } else invoice = newInvoice(sub, "paid");
    sub.status = "active";
    const sent = [await send("invoice.paid", invoice)];
    sent.push(await send("customer.subscription.updated", sub, { status: previous }));
    return { invoice: clone(invoice), events: sent };
  }

  // --- The API (`/v1/…`) ---------------------------------------------------------------------

  async function api(method, path, body, query) {
    let m;
    if (method === "POST" && path === "/v1/checkout/sessions") return createSession(body);
    if (method === "GET" && (m = path.match(/^\/v1\/checkout\/sessions\/([^/]+)$/))) {
      const s = sessions.get(m[1]);
      if (!s) throw noSuch("checkout.session", m[1]);
      return sessionView(s, query);
    }
    if (method === "POST" && path === "/v1/customers") {
      const customer = {
        id: newId("cus"),
        object: "customer",
        created: now(),
        email: body.email ?? null,
        name: body.name ?? null,
        livemode: false,
        metadata: body.metadata ?? {},
      };
      customers.set(customer.id, customer);
      return customer;
    }
    if (method === "GET" && (m = path.match(/^\/v1\/customers\/([^/]+)$/))) {
      const c = customers.get(m[1]);
      if (!c) throw noSuch("customer", m[1]);
      return c;
    }
    if ((m = path.match(/^\/v1\/subscriptions\/([^/]+)$/))) {
      const sub = subscriptions.get(m[1]);
      if (!sub) throw noSuch("subscription", m[1]);
      if (method === "GET") return sub;
      if (method === "POST") return updateSubscription(sub, body);
      if (method === "DELETE") return cancelNow(sub);
    }
    if (method === "GET" && (m = path.match(/^\/v1\/invoices\/([^/]+)$/))) {
      const inv = invoices.get(m[1]);
      if (!inv) throw noSuch("invoice", m[1]);
      return inv;
    }
    if (method === "POST" && path === "/v1/billing_portal/sessions") {
      if (!body.customer) throw missing("customer");
      if (!customers.has(body.customer)) throw noSuch("customer", body.customer, "customer");
      if (!body.return_url) throw missing("return_url");
      const id = newId("bps");
      const portal = {
        id,
        object: "billing_portal.session",
        created: now(),
        customer: body.customer,
        livemode: false,
        return_url: body.return_url,
        url: `${base}/portal/${id}`,
      };
      portals.set(id, portal);
      return portal;
    }
    throw new StripeError(404, `Unrecognized request URL (${method}: ${path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`);
  }

  function sessionView(s, query) {
    const view = clone(s.object);
    const expand = [].concat(query?.expand ?? []);
    if (expand.includes("subscription") && view.subscription) view.subscription = clone(subscriptions.get(view.subscription));
    if (expand.includes("customer") && view.customer) view.customer = clone(customers.get(view.customer));
    return view;
  }

  function createSession(body) {
    if (body.mode !== "subscription") {
      if (!body.mode) throw missing("mode");
      throw new StripeError(400, `The fake Stripe only plays mode=subscription, not ${body.mode}.`, { param: "mode" });
    }
    const item = Array.isArray(body.line_items) ? body.line_items[0] : undefined;
    if (!item?.price) throw missing("line_items[0][price]");
    if (!item.quantity) throw missing("line_items[0][quantity]");
    if (!prices[item.price]) throw noSuch("price", item.price, "line_items[0][price]");
    for (const p of ["success_url", "cancel_url", "client_reference_id"]) if (!body[p]) throw missing(p);
    if (body.customer && body.customer_email)
      throw new StripeError(400, "You may only specify one of these parameters: customer, customer_email.", { param: "customer_email" });
    if (body.customer && !customers.has(body.customer)) throw noSuch("customer", body.customer, "customer");
    const id = `cs_test_${randomBytes(16).toString("hex")}`;
    const object = {
      id,
      object: "checkout.session",
      amount_total: prices[item.price].amount * (Number(item.quantity) || 1),
      cancel_url: body.cancel_url,
      client_reference_id: body.client_reference_id,
      created: now(),
      currency: prices[item.price].currency,
      customer: body.customer ?? null,
      customer_email: body.customer_email ?? null,
      expires_at: now() + DAY,
      livemode: false,
      metadata: body.metadata ?? {},
      mode: "subscription",
      payment_status: "unpaid",
      status: "open",
      subscription: null,
      success_url: body.success_url,
      url: `${base}/checkout/${id}`,
    };
    sessions.set(id, {
      object,
      price: item.price,
      quantity: item.quantity,
      subscription_metadata: body.subscription_data?.metadata ?? {},
    });
    return object;
  }

  function updateSubscription(sub, body) {
    const previous = {};
    if (body.cancel_at_period_end !== undefined) {
      if (body.cancel_at_period_end !== "true" && body.cancel_at_period_end !== "false")
        throw new StripeError(400, "Invalid boolean: " + body.cancel_at_period_end, { param: "cancel_at_period_end" });
      if (sub.status === "canceled" || sub.status === "incomplete_expired")
        throw new StripeError(400, "A canceled subscription can only update its cancellation_details and metadata.");
      const want = body.cancel_at_period_end === "true";
      if (want !== sub.cancel_at_period_end) {
        Object.assign(previous, { cancel_at_period_end: sub.cancel_at_period_end, cancel_at: sub.cancel_at, canceled_at: sub.canceled_at });
        sub.cancel_at_period_end = want;
        sub.cancel_at = want ? periodEnd(sub) : null;
        sub.canceled_at = want ? now() : null;
      }
    }
    if (body.metadata && typeof body.metadata === "object") {
      previous.metadata = clone(sub.metadata);
      Object.assign(sub.metadata, body.metadata);
    }
    return { object: sub, previous };
  }

  function cancelNow(sub) {
    if (sub.status === "canceled") return { object: sub, previous: {} };
    const previous = { status: sub.status, ended_at: null, canceled_at: sub.canceled_at };
    sub.status = "canceled";
    sub.ended_at = now();
    sub.canceled_at = sub.canceled_at ?? now();
    return { object: sub, previous, deleted: true };
  }

  // --- The pages the browser sees ------------------------------------------------------------

  async function pay(s, res) {
    if (s.object.status !== "complete") {
      const customer = customerFor(s.object);
      const sub = createSubscription(s, customer);
      s.object.status = "complete";
      s.object.payment_status = "paid";
      s.object.customer = customer.id;
      s.object.subscription = sub.id;
      // Stripe's first invoice, paid, so `latest_invoice` names something.
      newInvoice(sub, "paid").billing_reason = "subscription_create";
      await send("checkout.session.completed", s.object);
      await send("customer.subscription.created", sub);
    }
    res.writeHead(303, { Location: s.object.success_url.replaceAll("{CHECKOUT_SESSION_ID}", s.object.id) });
    res.end();
  }

  function checkoutPage(s) {
    const price = prices[s.price];
    const name = price?.product ?? s.price;
    return html(
      `Pay ${name} · Stripe Checkout (test)`,
      `<p class="test">Test mode: a stand-in for Stripe Checkout.</p>
<h1>Subscribe to ${escapeHtml(name)}</h1>
<p class="price" data-testid="price">${escapeHtml(price ? money(price) : s.price)}</p>
<p>${s.object.customer_email ? `Billed to ${escapeHtml(s.object.customer_email)}` : ""}</p>
<form method="post" action="/checkout/${escapeHtml(s.object.id)}/pay">
<button type="submit">Pay</button>
</form>
<p><a href="${escapeHtml(s.object.cancel_url)}">Back</a></p>`,
    );
  }

  function portalPage(p) {
    const subs = [...subscriptions.values()].filter((s) => s.customer === p.customer);
    const rows = subs
      .map((s) => `<li>${escapeHtml(prices[s.items.data[0].price.id]?.product ?? s.items.data[0].price.id)}: ${escapeHtml(s.status)}${s.cancel_at_period_end ? " (ends at the period's end)" : ""}</li>`)
      .join("");
    return html(
      "Billing · Stripe customer portal (test)",
      `<p class="test">Test mode: a stand-in for the Stripe customer portal.</p>
<h1>Your billing</h1>
<ul>${rows || "<li>No subscriptions</li>"}</ul>
<p><a href="${escapeHtml(p.return_url)}">Return to Blockbuilders</a></p>`,
    );
  }

  // --- HTTP ----------------------------------------------------------------------------------

  function json(res, status, body, headers = {}) {
    res.writeHead(status, { "Content-Type": "application/json", "Request-Id": newId("req"), "Stripe-Version": API_VERSION, ...headers });
    res.end(JSON.stringify(body));
  }

  async function handle(req, res) {
    const url = new URL(req.url, base);
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const raw = Buffer.concat(chunks).toString("utf8");
    const path = url.pathname;

    if (path.startsWith("/v1/")) {
      const auth = String(req.headers.authorization ?? "");
      const query = parseForm(url.searchParams.toString());
      const entry = {
        method: req.method,
        path,
        query,
        body: null,
        contentType: req.headers["content-type"] ?? null,
        stripeVersion: req.headers["stripe-version"] ?? null,
        idempotencyKey: req.headers["idempotency-key"] ?? null,
        authorized: /^Bearer sk_test_\S+$/.test(auth),
        status: 0,
        replayed: false,
        at: Date.now(),
      };
      requests.push(entry);
      const answer = (status, body, headers) => {
        entry.status = status;
        entry.answer = body;
        json(res, status, body, headers);
      };
      if (!entry.authorized) {
        const message = auth
          ? `Invalid API Key provided: ${auth.replace(/^Bearer\s+/, "").slice(0, 12)}…`
          : "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').";
        return answer(401, { error: { type: "invalid_request_error", message } });
      }
      if (req.method === "POST" && raw && !String(entry.contentType).startsWith("application/x-www-form-urlencoded"))
        return answer(400, { error: { type: "invalid_request_error", message: `Invalid request: bodies are application/x-www-form-urlencoded, not ${entry.contentType}.` } });
      const body = req.method === "POST" ? parseForm(raw) : {};
      entry.body = body;
      if (req.method === "POST") {
        if (!entry.idempotencyKey)
          return answer(400, { error: { type: "invalid_request_error", message: "The fake Stripe wants an Idempotency-Key on every POST." } });
        const fingerprint = `${req.method} ${path} ${raw}`;
        const seen = idempotent.get(entry.idempotencyKey);
        if (seen) {
          entry.replayed = true;
          if (seen.fingerprint !== fingerprint)
            return answer(400, {
              error: {
                type: "idempotency_error",
                message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${entry.idempotencyKey}' if you meant to execute a different request.`,
              },
            });
          return answer(seen.status, seen.body, { "Idempotent-Replayed": "true" });
        }
      }
      let status = 200;
      let out;
      let after = null;
      try {
        const r = await api(req.method, path, body, query);
        if (r && r.object && typeof r.object === "object" && "previous" in r) {
          out = clone(r.object);
          const changed = Object.keys(r.previous).length > 0;
          if (r.deleted) after = () => send("customer.subscription.deleted", r.object);
          else if (changed) after = () => send("customer.subscription.updated", r.object, r.previous);
        } else out = clone(r);
      } catch (e) {
        if (!(e instanceof StripeError)) throw e;
        status = e.status;
        out = e.body;
      }
      // Stripe keeps the first answer of a key, errors included (but not 5xx).
      if (req.method === "POST" && status < 500) idempotent.set(entry.idempotencyKey, { fingerprint: `${req.method} ${path} ${raw}`, status, body: out });
      answer(status, out);
      // Stripe sends the event after answering the call, as its own request.
      if (after) await after();
      return;
    }

    let m;
    if ((m = path.match(/^\/checkout\/([^/]+)(\/pay)?$/))) {
      const s = sessions.get(m[1]);
      if (!s) {
        res.writeHead(404, { "Content-Type": "text/html; charset=utf-8" });
        return res.end(html("Not found · Stripe Checkout (test)", "<h1>This checkout does not exist</h1>"));
      }
      if (m[2] && req.method === "POST") return pay(s, res);
      if (!m[2] && req.method === "GET") {
        res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
        return res.end(checkoutPage(s));
      }
    }
    if ((m = path.match(/^\/portal\/([^/]+)$/)) && req.method === "GET") {
      const p = portals.get(m[1]);
      res.writeHead(p ? 200 : 404, { "Content-Type": "text/html; charset=utf-8" });
      return res.end(p ? portalPage(p) : html("Not found · Stripe portal (test)", "<h1>This portal session does not exist</h1>"));
    }
    res.writeHead(404, { "Content-Type": "text/plain" });
    res.end("not found");
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e) => {
      if (!res.headersSent) json(res, 500, { error: { type: "api_error", message: String(e?.message ?? e) } });
      else res.end();
    });
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  base = `http://127.0.0.1:${server.address().port}`;
  fake.url = base;

  function stop() {
    return new Promise((ok) => {
      server.close(() => ok());
      server.closeAllConnections?.();
    });
  }

  return fake;
}
