import { describe, expect, it } from 'vitest';
import { Bitrix24Dialog, parseChatAnswer, READ_LIMIT } from '../../src/integrations/bitrix24/dialog.js';
import { OutboundConfirm, type ChatReadAnswer } from '../../src/modules/messaging/outbound/confirm.js';
import type {
  CheckedPart,
  ConfirmRepository,
} from '../../src/modules/messaging/outbound/confirm.repository.js';
import type { JobRow } from '../../src/shared/db/schema.js';
import type { Log as Logger } from '../../src/shared/logger.js';
import {
  confirmKey,
  judge,
  planReads,
  sameText,
  type HeldMessage,
  type MessageToCheck,
} from '../../src/modules/messaging/outbound/confirm-rules.js';

const HOST = 'acme.bitrix24.com';

function stored(o: {
  text?: string;
  file?: Record<string, unknown>;
  media?: { size: number };
  operatorId?: number;
}) {
  return {
    text: o.text ?? '',
    operatorId: o.operatorId ?? 7,
    ...(o.file ? { file: o.file } : {}),
    ...(o.media ? { media: o.media } : {}),
  };
}

function msg(contents: unknown[], over: Partial<MessageToCheck> = {}): MessageToCheck {
  return {
    imMessageId: 500,
    imChatId: 12,
    chatIsCustomers: true,
    parts: contents.map((content, i) => ({ id: 100 + i, status: 'queued', content, gupshupMessageId: null })),
    ...over,
  };
}

const held = (o: Partial<HeldMessage> = {}): HeldMessage => ({
  id: 500,
  authorId: 7,
  text: 'Hola',
  deleted: false,
  files: [],
  ...o,
});

describe('the read-back verdict', () => {
  it('confirms what the portal holds: same author and text, with or without the name prefix the connector gets', () => {
    for (const text of ['Hola', '[b]Ana Pérez:[/b] [br]Hola', '[B]Ana:[/B][br] Hola', '  Hola\r\n']) {
      const v = judge(msg([stored({ text })]), held(), true, HOST);
      expect(v).toEqual({ kind: 'confirmed', parts: [{ id: 100, key: confirmKey(stored({ text })) }] });
    }
  });

  it('refuses a message the portal does not have, once the answer reaches past its id; waits otherwise', () => {
    expect(judge(msg([stored({ text: 'Hola' })]), undefined, true, HOST)).toEqual({
      kind: 'refused',
      why: 'Bitrix24 has no message 500 in chat 12',
    });
    expect(judge(msg([stored({ text: 'Hola' })]), undefined, false, HOST)).toEqual({ kind: 'undecided' });
  });

  it('refuses another text, another author, another customer’s chat', () => {
    expect(judge(msg([stored({ text: 'Pague aquí' })]), held(), true, HOST)).toMatchObject({
      kind: 'refused',
    });
    expect(judge(msg([stored({ text: '[b]Ana:[/b] [br]Hola!' })]), held(), true, HOST)).toMatchObject({
      kind: 'refused',
    });
    expect(judge(msg([stored({ text: 'Hola', operatorId: 1 })]), held(), true, HOST)).toMatchObject({
      kind: 'refused',
      why: 'Bitrix24 says user 7 wrote it, the event said 1',
    });
    expect(
      judge(msg([stored({ text: 'Hola' })], { chatIsCustomers: false }), held(), true, HOST),
    ).toMatchObject({
      kind: 'refused',
    });
  });

  it('a message deleted in the portal is cancelled', () => {
    expect(judge(msg([stored({ text: 'Hola' })]), held({ deleted: true, text: '' }), true, HOST)).toEqual({
      kind: 'deleted',
    });
  });

  it('files: the same name and size, links on the portal, the downloaded size; vouched for once downloaded', () => {
    const file = {
      name: 'factura.pdf',
      size: 2048,
      link: `https://${HOST}/~AbCd`,
      downloadLink: '/rest/download.json?token=x',
    };
    const h = held({ text: 'Aquí tiene', files: [{ name: 'factura.pdf', size: 2048 }] });
    const ready = stored({ text: 'Aquí tiene', file, media: { size: 2048 } });
    expect(judge(msg([ready]), h, true, HOST)).toMatchObject({ kind: 'confirmed' });
    expect(judge(msg([stored({ text: 'Aquí tiene', file })]), h, true, HOST)).toEqual({ kind: 'undecided' });
    const cases: Array<[Record<string, unknown>, number, string]> = [
      [{ ...file, link: 'https://evil.example/factura.pdf' }, 2048, 'a file link is not on the portal'],
      [{ ...file, downloadLink: '//evil.example/x' }, 2048, 'a file link is not on the portal'],
      [{ ...file, name: 'otra.pdf' }, 2048, 'a file is not in the message in Bitrix24'],
      [{ ...file, size: 99 }, 2048, 'a file is not in the message in Bitrix24'],
      [file, 4096, 'a downloaded file differs in size from the one in Bitrix24'],
    ];
    for (const [f, counted, why] of cases) {
      const v = judge(
        msg([stored({ text: 'Aquí tiene', file: f, media: { size: counted } })]),
        h,
        true,
        HOST,
      );
      expect(v).toEqual({ kind: 'refused', why });
    }
  });

  it('checks only the parts still to send: a sent text part does not stand in the way of an edit', () => {
    const m = msg([stored({ text: 'old words' }), stored({ text: 'Hola' })]);
    const first = m.parts[0];
    if (first) Object.assign(first, { status: 'sent', gupshupMessageId: 'gs-1' });
    expect(judge(m, held(), true, HOST)).toMatchObject({ kind: 'confirmed', parts: [{ id: 101 }] });
  });

  it('a new content gets a new key (an edit is checked again), the download of a file too', () => {
    const a = confirmKey(stored({ text: 'uno' }));
    expect(confirmKey(stored({ text: 'uno' }))).toBe(a);
    expect(confirmKey(stored({ text: 'dos' }))).not.toBe(a);
    expect(confirmKey(stored({ text: 'uno', media: { size: 3 } }))).not.toBe(a);
  });

  it('text that is not Unicode matches however each side replaced it', () => {
    expect(sameText('10\ufffd\ufffd\ufffd€', '10\ud800€')).toBe(true);
    expect(sameText('10\ufffd€', '10€')).toBe(false);
  });
});

describe('planning a round of reads', () => {
  it('reads each chat from just before its oldest waiting message, the trigger’s chat first, at most N chats', () => {
    const plan = planReads(
      { imMessageId: 90, imChatId: 3 },
      [
        { imMessageId: 70, imChatId: 1 },
        { imMessageId: 95, imChatId: 3 },
        { imMessageId: 60, imChatId: 3 },
        { imMessageId: 80, imChatId: 2 },
      ],
      2,
    );
    expect(plan.reads).toEqual([
      { chatId: 3, afterId: 59 },
      { chatId: 1, afterId: 69 },
    ]);
    expect(plan.messages.map((m) => m.imMessageId).sort()).toEqual([60, 70, 90, 95]);
  });
});

describe('the portal’s answer (im.dialog.messages.get)', () => {
  it('reads the documented shape: messages with author_id, params.FILE_ID, a files list', () => {
    const a = parseChatAnswer(
      {
        messages: [
          {
            id: 28561624,
            chat_id: 29,
            author_id: 1,
            text: 'https://my-domain.com',
            params: { URL_ONLY: 'Y' },
          },
          { id: 28561623, chat_id: 29, author_id: 28, text: '', params: { FILE_ID: [540] } },
          { id: 28561618, chat_id: 29, author_id: 0, text: 'topic', params: null },
        ],
        users: [],
        files: [{ id: 540, chatId: 29, name: 'photo.jpeg', size: 55013, type: 'image' }],
      },
      28561600,
    );
    expect(a).toEqual({
      ok: true,
      complete: true,
      lastId: 28561624,
      messages: [
        { id: 28561624, authorId: 1, text: 'https://my-domain.com', deleted: false, files: [] },
        {
          id: 28561623,
          authorId: 28,
          text: '',
          deleted: false,
          files: [{ name: 'photo.jpeg', size: 55013 }],
        },
        { id: 28561618, authorId: 0, text: 'topic', deleted: false, files: [] },
      ],
    });
  });

  it('reads the core’s and the session history’s shapes: ids as strings, files and messages keyed by id', () => {
    const a = parseChatAnswer(
      {
        message: {
          '18116': { id: '18116', chatid: '1982', senderid: '450', text: 'sdf', params: { fileId: ['7'] } },
          '18117': { id: '18117', senderid: '0', text: 'x', params: { IS_DELETED: 'Y' } },
        },
        files: { '7': { id: '7', name: 'a.pdf', size: '10' } },
      },
      18000,
    );
    expect(a).toMatchObject({
      ok: true,
      messages: [
        { id: 18116, authorId: 450, files: [{ name: 'a.pdf', size: 10 }], deleted: false },
        { id: 18117, authorId: 0, deleted: true },
      ],
    });
  });

  it('a full page is not the end of the chat; something else is not an answer', () => {
    const full = Array.from({ length: READ_LIMIT }, (_, i) => ({ id: 100 + i, author_id: 1, text: 't' }));
    expect(parseChatAnswer({ messages: full }, 99)).toMatchObject({ complete: false, lastId: 149 });
    expect(parseChatAnswer({ result: true }, 1)).toBeUndefined();
    expect(parseChatAnswer('nope', 1)).toBeUndefined();
  });

  it('one batch call for every chat, built when the call runs; refusals per chat', async () => {
    const calls: Array<{ method: string; params: Record<string, unknown> }> = [];
    const client = {
      call: async (_portal: number, method: string, params: unknown) => {
        const p =
          typeof params === 'function' ? await (params as () => Promise<Record<string, unknown>>)() : params;
        calls.push({ method, params: p as Record<string, unknown> });
        return {
          result: { c1: { messages: [{ id: 5, author_id: 2, text: 'hola' }], files: [] } },
          result_error: { c2: { error: 'ACCESS_ERROR', error_description: 'no' } },
        };
      },
    };
    const dialog = new Bitrix24Dialog(client as never);
    const { answers } = await dialog.read(1, async () => [
      { chatId: 1, afterId: 4 },
      { chatId: 2, afterId: 9 },
      { chatId: 3, afterId: 0 },
    ]);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.method).toBe('batch');
    expect(calls[0]?.params).toEqual({
      halt: 0,
      cmd: {
        c1: 'im.dialog.messages.get?DIALOG_ID=chat1&FIRST_ID=4&LIMIT=50',
        c2: 'im.dialog.messages.get?DIALOG_ID=chat2&FIRST_ID=9&LIMIT=50',
        c3: 'im.dialog.messages.get?DIALOG_ID=chat3&FIRST_ID=0&LIMIT=50',
      },
    });
    expect(answers.get(1)).toMatchObject({ ok: true, messages: [{ id: 5, authorId: 2 }] });
    expect(answers.get(2)).toEqual({ ok: false, code: 'ACCESS_ERROR', description: 'no' });
    expect(answers.has(3)).toBe(false);
    expect(dialog.isPassingRefusal('OPERATION_TIME_LIMIT')).toBe(true);
    expect(dialog.isPassingRefusal('ACCESS_ERROR')).toBe(false);
  });
});

describe('the check in the send job (OutboundConfirm, fake portal and database)', () => {
  type Part = CheckedPart & { part: number };
  function setup(parts: Part[], answer: (chatId: number, afterId: number) => ChatReadAnswer | undefined) {
    const reads: Array<{ chatId: number; afterId: number }> = [];
    const refused: string[] = [];
    const repo = {
      one: async (id: number) => parts.find((p) => p.id === id),
      parts: async (_portal: number, ids: number[]) => parts.filter((p) => ids.includes(p.imMessageId ?? -1)),
      waiting: async () =>
        parts
          .filter((p) => p.status === 'queued' && p.portalConfirmed === null)
          .map((p) => ({ imMessageId: p.imMessageId ?? 0, imChatId: p.imChatId ?? 0 })),
      portalHost: async () => HOST,
      confirm: async (done: Array<{ id: number; key: string }>) => {
        for (const d of done) {
          Object.assign(parts.find((p) => p.id === d.id) ?? {}, { portalConfirmed: d.key });
        }
      },
      refuse: async (_portal: number, of: { imMessageId?: number }, why: string) => {
        refused.push(why);
        for (const p of parts) if (p.imMessageId === of.imMessageId) p.status = 'failed';
        return [];
      },
      deleted: async () => undefined,
      trace: async () => undefined,
    };
    const readBack = {
      read: async (_portal: number, plan: () => Promise<Array<{ chatId: number; afterId: number }>>) => {
        const planned = await plan();
        reads.push(...planned);
        const answers = new Map<number, ChatReadAnswer>();
        for (const r of planned) {
          const a = answer(r.chatId, r.afterId);
          if (a) answers.set(r.chatId, a);
        }
        return { reads: planned, answers };
      },
    };
    const confirm = new OutboundConfirm({
      repo: repo as unknown as ConfirmRepository,
      readBack,
      maxChats: 50,
      isPassingRefusal: (code) => code === 'OPERATION_TIME_LIMIT',
    });
    return { confirm, reads, refused };
  }
  const part = (id: number, imMessageId: number, content: unknown): Part => ({
    id,
    part: 0,
    portalId: 1,
    channelId: 'ch',
    status: 'queued',
    content,
    portalConfirmed: null,
    gupshupMessageId: null,
    imMessageId,
    imChatId: 1,
    chatIsCustomers: true,
  });
  const job = { last_error: null } as unknown as JobRow;
  const log = { warn: () => undefined } as unknown as Logger;
  const sending = (id: number) => ({ id, portal_id: 1, channel_id: 'ch', created_at: new Date() });

  it('reaches a message far behind an older one still waiting: the next read starts just before it', async () => {
    const file = { name: 'a.pdf', size: 3, link: `https://${HOST}/~a` };
    const parts = [part(1, 100, stored({ text: '', file })), part(2, 300, stored({ text: 'Hola' }))];
    const { confirm, reads } = setup(parts, (_chat, afterId) =>
      afterId === 99
        ? {
            ok: true,
            complete: false,
            lastId: 149,
            messages: Array.from({ length: 50 }, (_, i) =>
              held({ id: 100 + i, text: '', files: [{ name: 'a.pdf', size: 3 }] }),
            ),
          }
        : { ok: true, complete: true, lastId: 300, messages: [held({ id: 300 })] },
    );
    expect(await confirm.check(sending(2), job, log)).toBeUndefined();
    expect(reads).toEqual([
      { chatId: 1, afterId: 99 },
      { chatId: 1, afterId: 299 },
    ]);
  });

  it('a method over its time budget: the part waits, without spending an attempt, after one call', async () => {
    const { confirm, reads, refused } = setup([part(1, 100, stored({ text: 'Hola' }))], () => ({
      ok: false,
      code: 'OPERATION_TIME_LIMIT',
      description: 'blocked',
    }));
    const outcome = await confirm.check(sending(1), job, log);
    expect(outcome).toMatchObject({ kind: 'retry', delayMs: 10_000, countAttempt: false });
    expect(outcome?.kind === 'retry' && outcome.error).toMatch(/^portal_unavailable/);
    expect(reads).toHaveLength(1);
    expect(refused).toEqual([]);
  });

  it('a chat the portal will not show fails the part (closed, not open)', async () => {
    const { confirm, refused } = setup([part(1, 100, stored({ text: 'Hola' }))], () => ({
      ok: false,
      code: 'ACCESS_ERROR',
      description: 'no',
    }));
    expect(await confirm.check(sending(1), job, log)).toEqual({ kind: 'done' });
    expect(refused).toEqual(['Bitrix24 did not show chat 1: ACCESS_ERROR']);
  });
});
