// One definition file's problems, as the validate command and the loader report them: one line per thing to
// fix, at the spot (line:column of the JSON pointer), with how to fix it.
import { describe, expect, test } from 'vitest';
import { checkDefinitionText } from '../../client/definition-folder';

const order = {
  id: 'order',
  version: 1,
  kind: 'order',
  confirmation: [{ channel: 'email', type: 'order_confirmation', template: 'order-confirmation-email' }],
  shipping: [],
  cancellation: [],
  closeAfter: '30 days',
};
const journey = {
  id: 'journey',
  version: 1,
  kind: 'custom_event',
  trigger: { event: 'x' },
  steps: [{ send: { channel: 'email', type: 'custom_event', template: 'trial-tips-email' } }],
};

function problems(data: unknown) {
  const text = JSON.stringify(data, null, 2);
  return checkDefinitionText('f.json', text).problems.map((p) => ({ ...p, text }));
}

describe('definition problems', () => {
  test('a misspelt required property is one problem: the unknown name and what it should be', () => {
    const { closeAfter, ...rest } = order;
    const found = problems({ ...rest, closeAftr: closeAfter });
    expect(found).toHaveLength(1);
    expect(found[0]!.pointer).toBe('/closeAftr');
    expect(found[0]!.hint).toMatch(/did you mean "closeAfter"/);
    expect(found[0]!.line).toBe(found[0]!.text.split('\n').findIndex((l) => l.includes('closeAftr')) + 1);
  });

  test('a misspelt kind suggests the kind', () => {
    const found = problems({ ...order, kind: 'ordr' });
    expect(found.map((p) => [p.pointer, p.hint])).toEqual([
      ['/kind', expect.stringMatching(/did you mean "order"/)],
    ]);
  });

  test('a channel typo lists the channels', () => {
    const found = problems({ ...order, confirmation: [{ ...order.confirmation[0], channel: 'mail' }] });
    expect(found).toHaveLength(1);
    expect(found[0]!.message).toBe('channel "mail" is not one of: email, sms');
  });

  test('a step of no known shape lists the shapes, with the near miss', () => {
    const found = problems({ ...journey, steps: [{ wiat: '1 day' }] });
    expect(found).toHaveLength(1);
    expect(found[0]!.pointer).toBe('/steps/0');
    expect(found[0]!.hint).toMatch(/"send".*"wait".*"waitForEvent".*"branch".*did you mean "wait"/);
  });

  test('a bad duration nested in a waitForEvent is one line about durations', () => {
    const found = problems({
      ...journey,
      steps: [{ waitForEvent: { name: 'y', timeout: '3 dais' } }],
    });
    expect(found.map((p) => p.pointer)).toEqual(['/steps/0/waitForEvent/timeout']);
    expect(found[0]!.message).toContain('is not a duration');
  });

  test('an id with capitals and spaces says which characters are allowed', () => {
    const found = problems({ ...order, id: 'My Order' });
    expect(found).toHaveLength(1);
    expect(found[0]!.hint).toMatch(/lowercase letters, digits and "-"/);
  });
});
