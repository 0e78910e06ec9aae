/**
 * `npm run docs:integrations`: writes docs/integrations.md from src/integrations/catalog.ts, the list
 * every adapter call is checked against. test/unit/integrations-doc.test.ts fails when they differ.
 */
import { writeFile } from 'node:fs/promises';
import {
  BITRIX24_METHODS,
  BITRIX24_OTHER_CALLS,
  GUPSHUP_CALLS,
  PAYMENT_CALLS,
  SMSAPI_CALLS,
  type CallInfo,
} from '../src/integrations/catalog.js';

export const INTEGRATIONS_DOC = 'docs/integrations.md';

const cell = (s: string) => s.replaceAll('|', '\\|');

function table(first: string, rows: Record<string, CallInfo>): string {
  const lines = [`| ${first} | scope / credential | why | cost |`, '|---|---|---|---|'];
  for (const [name, i] of Object.entries(rows)) {
    lines.push(`| \`${cell(name)}\` | ${cell(i.scope)} | ${cell(i.why)} | ${cell(i.cost)} |`);
  }
  return lines.join('\n');
}

export function renderIntegrationsDoc(): string {
  return `# Integrations: every call the app makes

Generated from \`src/integrations/catalog.ts\` by \`npm run docs:integrations\`; do not edit by hand.
The Bitrix24 client refuses at compile time any method not in that catalog, and a test fails when
this page and the catalog differ. Costs are in the portal's REST budget (reference \`bitrix24.md\` §7:
a leaky bucket of 2 requests/s and 50 burst, 5/250 on Enterprise; the app stops a fifth short of it
and keeps half of it for message delivery), unless said otherwise.

## Bitrix24 REST methods

${table('method', BITRIX24_METHODS)}

## Bitrix24, outside the REST API

${table('call', BITRIX24_OTHER_CALLS)}

## Gupshup

${table('call', GUPSHUP_CALLS)}

## Stripe and PayPal

${table('call', PAYMENT_CALLS)}

## SMSAPI

${table('call', SMSAPI_CALLS)}

SMSAPI calls us back with delivery reports at \`/webhooks/smsapi/{portal secret}\` (docs/sms.md).
`;
}

if (process.argv[1]?.endsWith('integrations-doc.ts')) {
  await writeFile(INTEGRATIONS_DOC, renderIntegrationsDoc());
  process.stdout.write(`Wrote ${INTEGRATIONS_DOC}\n`);
}
