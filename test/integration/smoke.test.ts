import { describe, expect, it } from 'vitest';
import { connectChannel, installAndToken, waitFor } from '../../scripts/stack.js';
import { useStack } from '../helpers/stack.js';

describe('smoke', () => {
  const s = useStack({ logLevel: 'warn' });

  it('relays both ways', async () => {
    const token = await installAndToken(s);
    const ch = await connectChannel(s, token, 1);
    await s.gupshup.customerSends({
      appName: ch.appName,
      from: '5491122334455',
      name: 'María',
      text: 'Hola',
    });
    const inBitrix = await waitFor(() =>
      s.portal.messages({ author: 'customer' }).find((m) => m.text === 'Hola'),
    );
    expect(inBitrix.externalChatId).toBe('5491122334455');
    await s.portal.operatorSend({ line: 1, externalChatId: '5491122334455', text: '[b]Hola[/b] María' });
    const sent = await waitFor(() => s.gupshup.sent().find((m) => m.destination === '5491122334455'));
    expect(sent.message).toMatchObject({ type: 'text' });
    await waitFor(() => s.portal.messages({ author: 'operator' }).find((m) => m.delivered));
  });
});
