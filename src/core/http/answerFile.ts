/*
 * Keeps the body of an answer that was not the API's own (a proxy's HTML page) in the run's folder,
 * for whoever supports the org or the proxy: the messages show only its status and title. Anything
 * in it that looks like a session (an access token, a session id, an Authorization header, a
 * cookie) is blanked before it is written: a page may echo the request it refused.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OrgApiError } from './orgHttp.js';

/**
 * An org's access token or session id (00D… ! …, also URL-encoded: ! as %21), a Bearer value, a sid
 * cookie or header value, and OAuth's token parameters in a URL or form body (access_token,
 * refresh_token, oauth_token, sid), a JSON body or XML (sessionId); an entity-encoded ! too.
 */
const SECRETS: RegExp[] = [
  /\b00D[A-Za-z0-9]{12,15}(?:!|%21|&#33;|&#x21;)[A-Za-z0-9._%-]+/gi,
  /((?:access_token|refresh_token|oauth_token|session_id)=)[^\s&"'<>]+/gi,
  // the same in JSON ("access_token": "…") and in XML (<sessionId>…</sessionId>, SOAP's login answer)
  /("(?:access_token|refresh_token|id_token|sessionId|session_id|sid)"\s*:\s*")[^"]+/gi,
  /(<(?:\w+:)?(?:sessionId|sid|access_token|refresh_token)>)[^<]+/gi,
  /(Bearer\s+)[A-Za-z0-9._!-]+/gi,
  /((?:sid|X-SFDC-Session|Authorization|Cookie|Set-Cookie)\s*[:=]\s*)[^\s;"'<>&]+/gi,
];

export function withoutSessions(text: string): string {
  return SECRETS.reduce((t, re) => t.replace(re, (m: string, keep?: string) => `${typeof keep === 'string' ? keep : ''}[removed]`), text);
}

/** Writes the page into <runDir>/answers/ and returns its path; undefined when there is none or it cannot be written. */
export async function keepAnswer(runDir: string, e: OrgApiError, now = new Date()): Promise<string | undefined> {
  if (e.page === undefined || e.page === '') return undefined;
  const file = join(runDir, 'answers', `${now.toISOString().replace(/[:.]/g, '-')}-${e.status}.txt`);
  try {
    await mkdir(join(runDir, 'answers'), { recursive: true });
    await writeFile(file, `${e.method} ${e.path}\nHTTP ${e.status}\n\n${withoutSessions(e.page)}`);
    return file;
  } catch {
    // A full or read-only disk: the message still says what happened; only the copy for support is missing.
    return undefined;
  }
}
