/*
 * The texts of preflight problems and errors, from messages/core.preflight.md (users read them; they
 * say what is wrong with the header or the row, and what to do).
 */
import { Messages } from '@salesforce/core';

Messages.importMessagesDirectoryFromMetaUrl(import.meta.url);
export const preflightMessages = Messages.loadMessages('plugin-bulkops', 'core.preflight');
