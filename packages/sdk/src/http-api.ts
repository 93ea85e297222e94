import { Http, isErrorCode, ErrorCodes, type HttpMethodName } from '@charla/protocol';
import type { z } from 'zod';
import { ApiError, NetworkError } from './errors.ts';

type Req<M extends HttpMethodName> = (typeof Http)[M]['request'] extends z.ZodType ? z.input<(typeof Http)[M]['request']> : undefined;
type Res<M extends HttpMethodName> = (typeof Http)[M]['response'] extends z.ZodType ? z.output<(typeof Http)[M]['response']> : undefined;

export interface UploadProgress {
  (sentBytes: number, totalBytes: number): void;
}

/**
 * Typed HTTP calls to a Charla server. Every answer is validated against the protocol schema, so a
 * misbehaving server is caught at the boundary rather than deep in the client.
 */
export class HttpApi {
  readonly baseUrl: string;
  token: string | undefined;

  constructor(baseUrl: string, token?: string) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.token = token;
  }

  async call<M extends HttpMethodName>(name: M, body?: Req<M>, params: Record<string, string> = {}): Promise<Res<M>> {
    const spec = Http[name];
    const path = spec.path.replace(/:([a-zA-Z]+)/g, (_, key: string) => encodeURIComponent(params[key] ?? ''));
    const headers: Record<string, string> = {};
    if (spec.auth) {
      if (!this.token) throw new ApiError('UNAUTHENTICATED', 'not logged in', 401);
      headers['authorization'] = `Bearer ${this.token}`;
    }
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await this.#fetch(path, { method: spec.method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    if (spec.response === null) {
      await response.body?.cancel();
      return undefined as Res<M>;
    }
    const json: unknown = await response.json();
    return spec.response.parse(json) as Res<M>;
  }

  /** Uploads raw bytes as a blob, reporting progress as the body is streamed out. */
  async uploadBlob(bytes: Uint8Array, onProgress?: UploadProgress): Promise<{ blobId: string; size: number }> {
    // Browsers stream fetch uploads only over HTTP/2; XMLHttpRequest reports progress everywhere.
    if (typeof XMLHttpRequest !== 'undefined') return this.#uploadWithXhr(bytes, onProgress);
    const chunk = 64 * 1024;
    let offset = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (offset >= bytes.length) {
          controller.close();
          return;
        }
        const end = Math.min(offset + chunk, bytes.length);
        controller.enqueue(bytes.slice(offset, end));
        offset = end;
        onProgress?.(offset, bytes.length);
      },
    });
    const response = await this.#fetch(Http.uploadBlob.path, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${this.token ?? ''}`,
        'content-type': 'application/octet-stream',
        'content-length': String(bytes.length),
      },
      body: bytes.length === 0 ? bytes : stream,
      duplex: 'half',
    } as RequestInit);
    return Http.uploadBlob.response.parse(await response.json());
  }

  #uploadWithXhr(bytes: Uint8Array, onProgress?: UploadProgress): Promise<{ blobId: string; size: number }> {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open('POST', this.baseUrl + Http.uploadBlob.path);
      xhr.setRequestHeader('authorization', `Bearer ${this.token ?? ''}`);
      xhr.setRequestHeader('content-type', 'application/octet-stream');
      xhr.upload.onprogress = (e) => onProgress?.(e.loaded, e.total || bytes.length);
      xhr.onerror = () => reject(new NetworkError(`cannot reach ${this.baseUrl}`));
      xhr.onload = () => {
        try {
          const body = JSON.parse(xhr.responseText) as { code?: unknown; message?: unknown };
          if (xhr.status >= 200 && xhr.status < 300) resolve(Http.uploadBlob.response.parse(body));
          else reject(new ApiError(isErrorCode(body.code) ? body.code : 'INTERNAL', typeof body.message === 'string' ? body.message : `HTTP ${xhr.status}`, xhr.status));
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      };
      xhr.send(new Blob([bytes as Uint8Array<ArrayBuffer>]));
    });
  }

  /** Downloads a blob by its absolute URL or id, reporting progress as it arrives. */
  async downloadBlob(urlOrId: string, onProgress?: UploadProgress): Promise<Uint8Array> {
    const path = urlOrId.includes('/') ? urlOrId : Http.downloadBlob.path.replace(':blobId', urlOrId);
    const response = await this.#fetch(path, { headers: { authorization: `Bearer ${this.token ?? ''}` } });
    const total = Number(response.headers.get('content-length') ?? 0);
    const reader = response.body?.getReader();
    if (!reader) return new Uint8Array(await response.arrayBuffer());
    const parts: Uint8Array[] = [];
    let received = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
      received += value.length;
      onProgress?.(received, total || received);
    }
    const out = new Uint8Array(received);
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }

  async #fetch(pathOrUrl: string, init: RequestInit): Promise<Response> {
    const url = /^https?:\/\//.test(pathOrUrl) ? pathOrUrl : this.baseUrl + pathOrUrl;
    let response: Response;
    try {
      response = await fetch(url, init);
    } catch (cause) {
      throw new NetworkError(`cannot reach ${this.baseUrl}`, { cause });
    }
    if (response.ok) return response;
    let code: string = 'INTERNAL';
    let message = `HTTP ${response.status}`;
    let retryAfterMs: number | undefined;
    try {
      const body = (await response.json()) as { code?: unknown; message?: unknown; retryAfterMs?: unknown };
      if (isErrorCode(body.code)) code = body.code;
      if (typeof body.message === 'string') message = body.message;
      if (typeof body.retryAfterMs === 'number') retryAfterMs = body.retryAfterMs;
    } catch {
      // not a protocol error body; keep the generic one
    }
    throw new ApiError(isErrorCode(code) ? code : 'INTERNAL', message, response.status || ErrorCodes.INTERNAL.status, retryAfterMs === undefined ? {} : { retryAfterMs });
  }
}
