import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../protocol';
import { parseRequest } from '../table';

describe('set-dataset-group', () => {
  it('set-dataset-group requests are checked', () => {
    expect(() => parseRequest({ id: 1, type: 'set-dataset-group', name: 'med', group: 'clinical' })).toThrow(
      new ProtocolError("set-dataset-group group must be 'medical' or 'general'"),
    );
    expect(() => parseRequest({ id: 1, type: 'set-dataset-group', group: 'medical' })).toThrow(
      new ProtocolError('set-dataset-group needs name'),
    );
    expect(parseRequest({ id: 1, type: 'set-dataset-group', name: 'med', group: 'general' })).toBeTruthy();
  });
});
