/**
 * The one pattern for destructive actions on the pages (delete, revoke, reset, remove): the list
 * links to the action's own page (GET), which asks the question; only its form, posted to the same
 * path with confirm=yes, acts. A POST without confirm=yes (a stale form, a crafted request) changes
 * nothing and shows the question again. No script: it works with every browser and every CSP.
 */
import { Type } from '@sinclair/typebox';
import { type Html, csrfField, html } from './html.js';

/** The field a confirmed post carries; add it to the action's body schema. */
export const ConfirmField = Type.Optional(Type.Literal('yes'));

export interface Confirmation {
  /** What will happen, in words: "Delete the account ana@example.com? Its sessions end at once." */
  question: Html | string;
  /** The path the form posts to: the same path the GET page lives at. */
  action: string;
  /** The button's words: "Delete account". */
  button: string;
  /** Where "Cancel" goes back to. */
  cancel: string;
  csrf: string;
}

export function confirmBody(c: Confirmation): Html {
  return html`<section class="card confirm"><p>${c.question}</p>
<form method="post" action="${c.action}">${csrfField(c.csrf)}<input type="hidden" name="confirm" value="yes">
<div class="actions"><button class="danger">${c.button}</button> <a class="button secondary" href="${c.cancel}">Cancel</a></div></form></section>`;
}

/** A link to a destructive action's page, styled as a button in lists. */
export function confirmLink(href: string, label: string): Html {
  return html`<a class="button small danger" href="${href}">${label}</a>`;
}
