/*
 * A message bundle loaded on its first use. @salesforce/core takes about half a second to load; the
 * split's worker threads (load/splitWorker.ts) share the CSV and preflight code, which needs a
 * message only when a row has a problem, so a thread loads it then, not when it starts.
 */
import { createRequire } from 'node:module';
import type { Messages } from '@salesforce/core';

type Tokens = Parameters<Messages<string>['getMessage']>[1];

/** The bundle `bundle` of this plugin's messages folder (found from `metaUrl`, as Messages does it). */
export function lazyMessages(metaUrl: string, bundle: string): { getMessage: (key: string, tokens?: Tokens) => string } {
  let loaded: Messages<string> | undefined;
  const load = (): Messages<string> => {
    if (!loaded) {
      const { Messages: M } = createRequire(metaUrl)('@salesforce/core') as typeof import('@salesforce/core');
      M.importMessagesDirectoryFromMetaUrl(metaUrl);
      loaded = M.loadMessages('plugin-bulkops', bundle);
    }
    return loaded;
  };
  return { getMessage: (key, tokens) => load().getMessage(key, tokens) };
}
