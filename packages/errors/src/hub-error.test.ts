import { describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE, HubError } from './index.ts';

describe('HubError', () => {
  it('takes status from the catalogue and keeps the given detail', () => {
    const error = new HubError('conflict', 'Already accepted.');
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ name: 'HubError', code: 'conflict', status: 409, detail: 'Already accepted.' });
    expect(error.message).toBe('Already accepted.');
    expect(error.errors).toBeUndefined();
  });

  it('defaults detail to the catalogue description', () => {
    expect(new HubError('forbidden').detail).toBe(ERROR_CATALOGUE.forbidden.description);
  });

  it('carries field errors and a cause', () => {
    const cause = new Error('low level');
    const errors = [{ pointer: '/body/subjects/0/nhsNumber', detail: 'Invalid NHS number.' }];
    const error = new HubError('validation-failed', 'The request has 1 invalid field.', { errors, cause });
    expect(error.status).toBe(400);
    expect(error.errors).toEqual(errors);
    expect(error.cause).toBe(cause);
  });

  it('uses status 0 for message-processing codes', () => {
    expect(new HubError('handler-failed').status).toBe(0);
  });
});
