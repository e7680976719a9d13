import { describe, expect, it } from 'vitest';
import { AckedLedger } from '../src/engine/acked-ledger.js';

describe('AckedLedger', () => {
  it('renders one JSON line per ack, in ack order, with its sender’s room, nick and text', () => {
    const ledger = new AckedLedger();
    ledger.addSender(3, { room: 'r0', from: 'u3', text: 'say "hi"' });
    ledger.addSender(7, { room: 'r1', from: 'u7', text: 'ünïcode' });
    ledger.record(7, 1, 1500);
    ledger.record(3, 1, 1000);
    ledger.record(3, 2, 2000);
    expect(ledger.size).toBe(3);
    expect(
      ledger
        .render()
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as unknown),
    ).toEqual([
      { room: 'r1', seq: 1, id: 1500, from: 'u7', text: 'ünïcode' },
      { room: 'r0', seq: 1, id: 1000, from: 'u3', text: 'say "hi"' },
      { room: 'r0', seq: 2, id: 2000, from: 'u3', text: 'say "hi"' },
    ]);
  });

  it('renders nothing before an ack', () => {
    const ledger = new AckedLedger();
    ledger.addSender(0, { room: 'r0', from: 'u0', text: 't' });
    expect(ledger.render()).toBe('');
  });
});
