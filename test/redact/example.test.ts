import { describe, expect, it, vi } from 'vitest';

describe('examples/redact.ts', () => {
  it('runs end to end: custody recorded, presentation verified, only subscriber data disclosed', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      const { outcome } = await import('../../examples/redact.js');
      expect(outcome.custodyOk).toBe(true);
      expect(outcome.presentationOk).toBe(true);
      expect(outcome.replayRejected).toBe(true);
      expect(outcome.chunkOk).toBe(true);
      expect(outcome.record).toEqual({
        recordType: 'subscriber-and-traffic',
        subscriber: { name: 'Alice Example', msisdn: '+353 85 123 4567', address: { street: '1 Quay St', city: 'Galway' }, since: 1577836800 },
        sessions: [],
      });
      expect(log).toHaveBeenCalled();
    } finally {
      log.mockRestore();
    }
  });
});
