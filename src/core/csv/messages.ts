/*
 * The texts of CSV input problems, from messages/core.csv.md (users read them; they name the file,
 * line and field, and say what to do).
 */
import { Messages } from '@salesforce/core';

Messages.importMessagesDirectoryFromMetaUrl(import.meta.url);
export const csvMessages = Messages.loadMessages('plugin-bulkops', 'core.csv');
