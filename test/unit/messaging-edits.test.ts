import { describe, expect, it } from 'vitest';
import { editCandidates, planEdit, type PartState } from '../../src/modules/messaging/edit-rules.js';

const part = (id: number, o: Partial<PartState> = {}): PartState => ({
  id,
  status: 'queued',
  content: { text: `texto ${id}` },
  gupshup_message_id: null,
  attempt_started_at: null,
  ...o,
});
const sent = (id: number, o: Partial<PartState> = {}) =>
  part(id, { status: 'submitted', gupshup_message_id: `gs-${id}`, ...o });
const file = (id: number, o: Partial<PartState> = {}) =>
  part(id, { content: { text: '', file: { name: 'a.pdf' } }, ...o });
const ids = (ps: PartState[]) => ps.map((p) => p.id);

describe('an operator edit', () => {
  const edit = { imMessageId: 500, text: 'texto nuevo' };

  it('changes a part that has not started to go (its send job still pending)', () => {
    const parts = [part(1)];
    expect(ids(editCandidates('update', parts))).toEqual([1]);
    const plan = planEdit('update', edit, parts, new Set([1]));
    expect(ids(plan.change)).toEqual([1]);
    expect(plan.changeStep).toBe('edited_before_send');
    expect(plan.tooLate).toBeUndefined();
  });

  it('leaves a sent part as it is: traced edit_not_possible and one note for the agents', () => {
    const parts = [sent(1)];
    expect(editCandidates('update', parts)).toEqual([]);
    const plan = planEdit('update', edit, parts, new Set());
    expect(plan.change).toEqual([]);
    expect(plan.tooLate).toMatchObject({ step: 'edit_not_possible', code: 'edit_after_send' });
    expect(plan.tooLate?.part.id).toBe(1);
  });

  it('treats a part whose job was already claimed, or that is in flight, as sent', () => {
    expect(planEdit('update', edit, [part(1)], new Set()).tooLate?.part.id).toBe(1);
    const inFlight = part(2, { status: 'sending', attempt_started_at: new Date() });
    expect(editCandidates('update', [inFlight])).toEqual([]);
    expect(planEdit('update', edit, [inFlight], new Set()).tooLate?.step).toBe('edit_not_possible');
    // Only a queued part can still be held back, whatever its marks say.
    expect(editCandidates('update', [part(3, { status: 'sending' })])).toEqual([]);
  });

  it('only touches the part that holds the text, not the files after it', () => {
    const parts = [sent(1), file(2), file(3)];
    expect(editCandidates('update', parts)).toEqual([]);
    const plan = planEdit('update', edit, parts, new Set());
    expect(plan.change).toEqual([]);
    expect(plan.tooLate?.part.id).toBe(1);
  });

  it('gives each new text its own note, and the same text the same one', () => {
    const variant = (text: string) =>
      planEdit('update', { imMessageId: 500, text }, [sent(1)], new Set()).tooLate?.noteVariant;
    expect(variant('uno')).toBe(variant('uno'));
    expect(variant('uno')).not.toBe(variant('dos'));
  });
});

describe('an operator deletion', () => {
  const del = { imMessageId: 500 };

  it('cancels every part not sent yet, files included', () => {
    const parts = [part(1), file(2)];
    expect(ids(editCandidates('delete', parts))).toEqual([1, 2]);
    const plan = planEdit('delete', del, parts, new Set([1, 2]));
    expect(ids(plan.change)).toEqual([1, 2]);
    expect(plan.changeStep).toBe('cancelled_before_send');
    expect(plan.tooLate).toBeUndefined();
  });

  it('cancels the parts still pending and notes the first one that went', () => {
    const parts = [sent(1), part(2), file(3)];
    const plan = planEdit('delete', del, parts, new Set([2, 3]));
    expect(ids(plan.change)).toEqual([2, 3]);
    expect(plan.tooLate).toMatchObject({
      step: 'delete_not_possible',
      code: 'delete_after_send',
      noteVariant: 'delete',
    });
    expect(plan.tooLate?.part.id).toBe(1);
  });

  it('leaves parts already settled (deleted, failed, skipped) out', () => {
    const parts = [
      part(1, { status: 'deleted' }),
      part(2, { status: 'failed' }),
      part(3, { status: 'skipped' }),
    ];
    expect(editCandidates('delete', parts)).toEqual([]);
    expect(planEdit('delete', del, parts, new Set())).toEqual({
      change: [],
      changeStep: 'cancelled_before_send',
    });
  });
});
