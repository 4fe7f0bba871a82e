/*
 * What an answer that is not the API's own is called in messages: its status and title
 * ("503 Service Unavailable"), never its body. A proxy or load balancer in front of the org answers
 * with an HTML page; printing it whole would bury the line that says what happened.
 */
import { STATUS_CODES } from 'node:http';

/** The page's <title> when it has a short one, else the status's standard reason phrase. */
export function answerTitle(status: number, body: string): string {
  const title = /<title[^>]*>([^<]{1,120})<\/title>/i.exec(body)?.[1].replace(/\s+/g, ' ').trim();
  if (title) return /^\d{3}\b/.test(title) ? title : `${status} ${title}`;
  const reason = STATUS_CODES[status];
  return reason ? `${status} ${reason}` : `HTTP ${status}`;
}
