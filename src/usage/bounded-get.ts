// One bounded HTTP GET for both usage sources: a deadline, a cap on the
// body, and no redirects (a redirect could send the operator's request, and
// any credentials in it, to another host).

export interface BoundedGetOptions {
  readonly timeoutMs: number;
  readonly maxBytes: number;
  readonly accept: string;
}

export type BoundedGetResult =
  | { readonly ok: true; readonly status: number; readonly body: string }
  | { readonly ok: false; readonly tooLarge: boolean; readonly message: string };

/** Where the URL points, without userinfo, query or fragment: safe to print. */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(an invalid URL)';
  }
}

async function readCapped(res: Response, maxBytes: number): Promise<string | undefined> {
  const declared = Number(res.headers.get('content-length') ?? 'NaN');
  if (declared > maxBytes) {
    await res.body?.cancel();
    return undefined;
  }
  if (res.body === null) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > maxBytes) {
      await res.body.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** `http://user:pass@host/` as a URL without userinfo plus a Basic authorization header (fetch refuses userinfo in URLs). */
function splitCredentials(url: string): { target: string; headers: Record<string, string> } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return { target: url, headers: {} };
  }
  if (u.username === '' && u.password === '') return { target: url, headers: {} };
  const basic = Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64');
  u.username = '';
  u.password = '';
  return { target: u.href, headers: { authorization: `Basic ${basic}` } };
}

export async function boundedGet(url: string, opts: BoundedGetOptions): Promise<BoundedGetResult> {
  const where = describeUrl(url);
  const { target, headers } = splitCredentials(url);
  let res: Response;
  try {
    res = await fetch(target, { redirect: 'manual', headers: { accept: opts.accept, ...headers }, signal: AbortSignal.timeout(opts.timeoutMs) });
  } catch (e: unknown) {
    const cause = e instanceof Error && e.cause instanceof Error ? e.cause.message : e instanceof Error ? e.message : String(e);
    // Error texts may quote the URL, query string (tokens) included: print only where it points.
    return { ok: false, tooLarge: false, message: `GET ${where} failed: ${cause.split(url).join(where).split(target).join(where)}` };
  }
  if (res.status >= 300 && res.status < 400) {
    await res.body?.cancel();
    return { ok: false, tooLarge: false, message: `GET ${where} answered a redirect (HTTP ${res.status}) which is not followed: configure the final URL` };
  }
  try {
    const body = await readCapped(res, opts.maxBytes);
    if (body === undefined) return { ok: false, tooLarge: true, message: `GET ${where}: the answer is larger than ${opts.maxBytes} bytes` };
    return { ok: true, status: res.status, body };
  } catch (e: unknown) {
    return { ok: false, tooLarge: false, message: `GET ${where}: reading the answer failed: ${e instanceof Error ? e.message : String(e)}` };
  }
}
