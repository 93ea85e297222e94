import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCodes } from '@charla/protocol';
import { BackendUnavailableError, CharlaError, EpochConflictError, RateLimitedError, toWireError } from './errors.ts';

test('[ERR-1] unknown errors become INTERNAL with their message hidden', () => {
  const wire = toWireError(new Error('SELECT * FROM sessions WHERE token_hash = secret'));
  assert.deepEqual(wire, { status: 500, body: { code: 'INTERNAL', message: 'internal server error' } });
  assert.deepEqual(toWireError('a string'), wire);
});

test('[ERR-1] domain errors keep their code, status and extra fields', () => {
  assert.deepEqual(toWireError(new EpochConflictError(7)), { status: 409, body: { code: 'EPOCH_CONFLICT', message: 'the group is at epoch 7', epoch: 7 } });
  assert.equal(toWireError(new RateLimitedError(0.2)).body.retryAfterMs, 1);
  for (const code of Object.keys(ErrorCodes) as (keyof typeof ErrorCodes)[]) {
    const e = new CharlaError(code, 'x');
    assert.equal(toWireError(e).status, ErrorCodes[code].status, `${code} maps to its documented status`);
    assert.ok(ErrorCodes[code].description.length > 0);
  }
});

test('[ERR-1] an unreachable backend is a retryable 503 UNAVAILABLE, with nothing internal in the message', () => {
  const down = toWireError(new BackendUnavailableError('PostgreSQL', new Error('ECONNREFUSED 10.0.0.5:5432')));
  assert.equal(down.status, 503);
  assert.equal(down.body.code, 'UNAVAILABLE');
  assert.ok((down.body.retryAfterMs ?? 0) > 0);
  assert.doesNotMatch(down.body.message, /10\.0\.0\.5|ECONNREFUSED|PostgreSQL/);
});
