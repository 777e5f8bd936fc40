/**
 * Tenant webhooks on Gatehouse's own API (capability webhooks.manage): register one (its whsec_
 * secret is in this answer only), list and delete them, list a webhook's recent deliveries and
 * resend one. The events, their payloads and how to verify them: docs/delivery.md, "Events".
 */
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { Core } from '../../core/core.js';
import { EVENT_TYPES } from '../../core/events/catalogue.js';
import type { Delivery, Webhook } from '../../core/events/webhooks.js';
import { type AuthScheme, callerOf, security } from '../http/authenticate.js';
import { TenantRef } from '../http/schemas.js';

const AUTH: AuthScheme[] = ['basic', 'apiKey', 'jwt'];
const access = { auth: AUTH, capability: 'webhooks.manage' as const };
const tags = ['webhooks'];

const EventName = Type.Union(EVENT_TYPES.map((e) => Type.Literal(e)));
const WebhookId = Type.String({ pattern: '^wh_[0-9a-f]{32}$', maxLength: 35, description: 'the webhook\'s id (wh_…)' });
const DeliveryId = Type.String({ pattern: '^msg_[0-9a-f]{32}$', maxLength: 36, description: 'the delivery\'s message id (msg_…), its webhook-id header' });
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

const WebhookView = Type.Object({
  id: WebhookId,
  tenantId: Type.Integer(),
  url: Type.String(),
  events: Type.Array(EventName, { description: 'the events it receives; empty: every event' }),
  description: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
});
const webhookView = (w: Webhook) => ({ id: w.id, tenantId: w.tenantId, url: w.url, events: w.events, description: w.description, createdAt: iso(w.createdAt)! });

const DeliveryView = Type.Object({
  id: DeliveryId,
  webhookId: WebhookId,
  event: Type.String(),
  status: Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('failed')]),
  attempts: Type.Integer({ description: 'attempts made (since the last resend)' }),
  lastStatus: Type.Union([Type.Integer(), Type.Null()], { description: 'the receiver\'s last HTTP status; null when it never answered' }),
  lastError: Type.Union([Type.String(), Type.Null()]),
  nextAttemptAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'when the next attempt is due; null unless pending' }),
  createdAt: Type.String({ format: 'date-time' }),
  deliveredAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  payload: Type.String({ description: 'the JSON body as posted and signed' }),
});
const deliveryView = (d: Delivery) => ({ ...d, nextAttemptAt: iso(d.nextAttemptAt), createdAt: iso(d.createdAt)!, deliveredAt: iso(d.deliveredAt) });

const NewWebhook = Type.Object(
  {
    url: Type.String({ minLength: 1, maxLength: 2000, description: 'https:// URL; its host must resolve to public addresses only' }),
    events: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: EVENT_TYPES.length, description: `events to receive (${EVENT_TYPES.join(', ')}); absent or empty: every event` })),
    description: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);

export const webhookRoutes: FastifyPluginAsync<{ core: Core }> = async (plain, { core }) => {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  const schema = <T extends object>(s: T) => ({ tags, security: security(AUTH), ...s });
  const IdParams = Type.Object({ id: WebhookId });

  app.post('/admin/tenants/:tenant/webhooks', { config: access, schema: schema({ summary: 'Register a webhook for the tenant\'s events (its signing secret is shown once, in this answer)', params: Type.Object({ tenant: TenantRef }), body: NewWebhook, response: { 201: Type.Intersect([WebhookView, Type.Object({ secret: Type.String({ description: 'whsec_…: the Standard Webhooks signing secret, shown only now' }) })]) } }) }, async (req, reply) => {
    const { webhook, secret } = await core.webhooks.register(callerOf(req), req.params.tenant, req.body);
    return reply.status(201).send({ ...webhookView(webhook), secret });
  });

  app.get('/admin/tenants/:tenant/webhooks', { config: access, schema: schema({ summary: 'The tenant\'s webhooks (never their secrets)', params: Type.Object({ tenant: TenantRef }), response: { 200: Type.Object({ webhooks: Type.Array(WebhookView) }) } }) }, async (req) => ({
    webhooks: (await core.webhooks.list(callerOf(req), req.params.tenant)).map(webhookView),
  }));

  app.get('/admin/webhooks/:id', { config: access, schema: schema({ summary: 'One webhook (never its secret)', params: IdParams, response: { 200: WebhookView } }) }, async (req) =>
    webhookView(await core.webhooks.get(callerOf(req), req.params.id)),
  );

  app.delete('/admin/webhooks/:id', { config: access, schema: schema({ summary: 'Delete a webhook and its deliveries (pending ones are never posted)', params: IdParams }) }, async (req, reply) => {
    await core.webhooks.remove(callerOf(req), req.params.id);
    return reply.status(204).send();
  });

  app.get('/admin/webhooks/:id/deliveries', { config: access, schema: schema({
    summary: 'The webhook\'s recent deliveries, newest first',
    params: IdParams,
    querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, description: 'at most this many (default 50)' })), status: Type.Optional(Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('failed')])) }, { additionalProperties: false }),
    response: { 200: Type.Object({ deliveries: Type.Array(DeliveryView) }) },
  }) }, async (req) => ({
    deliveries: (await core.webhooks.deliveries(callerOf(req), req.params.id, req.query)).map(deliveryView),
  }));

  app.post('/admin/webhooks/:id/deliveries/:deliveryId/resend', { config: access, schema: schema({ summary: 'Post a delivery again (the same message id and body, due now); 409 while it is being posted', params: Type.Object({ id: WebhookId, deliveryId: DeliveryId }), response: { 202: DeliveryView } }) }, async (req, reply) =>
    reply.status(202).send(deliveryView(await core.webhooks.resend(callerOf(req), req.params.id, req.params.deliveryId))),
  );
};
