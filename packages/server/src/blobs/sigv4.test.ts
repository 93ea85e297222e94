import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { EMPTY_SHA256, encodeRfc3986, signV4 } from './sigv4.ts';

// The examples in AWS's "Signature Calculations for the Authorization Header" (S3 API reference).
const creds = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', region: 'us-east-1', service: 's3' };
const now = new Date('2013-05-24T00:00:00Z');
const signature = (h: Record<string, string>) => /Signature=([0-9a-f]{64})$/.exec(h.authorization ?? '')?.[1];

test('[S3] SigV4 reproduces the AWS GET Object example', () => {
  const h = signV4({ method: 'GET', url: new URL('https://examplebucket.s3.amazonaws.com/test.txt'), headers: { Range: 'bytes=0-9' }, payloadHash: EMPTY_SHA256, now }, creds);
  assert.equal(signature(h), 'f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41');
  assert.match(h.authorization!, /^AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE\/20130524\/us-east-1\/s3\/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, /);
  assert.equal(h['x-amz-date'], '20130524T000000Z');
  assert.equal(h.host, 'examplebucket.s3.amazonaws.com');
});

test('[S3] SigV4 reproduces the AWS PUT Object example (a key that needs encoding)', () => {
  const body = 'Welcome to Amazon S3.';
  const h = signV4({
    method: 'PUT',
    url: new URL(`https://examplebucket.s3.amazonaws.com/${encodeRfc3986('test$file.text')}`),
    headers: { Date: 'Fri, 24 May 2013 00:00:00 GMT', 'x-amz-storage-class': 'REDUCED_REDUNDANCY' },
    payloadHash: createHash('sha256').update(body).digest('hex'),
    now,
  }, creds);
  assert.equal(signature(h), '98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd');
});

test('[S3] SigV4 reproduces the AWS GET Bucket lifecycle and list objects examples (query strings)', () => {
  const lifecycle = signV4({ method: 'GET', url: new URL('https://examplebucket.s3.amazonaws.com/?lifecycle'), headers: {}, payloadHash: EMPTY_SHA256, now }, creds);
  assert.equal(signature(lifecycle), 'fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543');
  const list = signV4({ method: 'GET', url: new URL('https://examplebucket.s3.amazonaws.com/?prefix=J&max-keys=2'), headers: {}, payloadHash: EMPTY_SHA256, now }, creds);
  assert.equal(signature(list), '34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7');
});

test('[S3] encodeRfc3986 escapes what encodeURIComponent leaves', () => {
  assert.equal(encodeRfc3986("a b/ü!'()*~._-"), "a%20b%2F%C3%BC%21%27%28%29%2A~._-");
});
