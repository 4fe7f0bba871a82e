/*
 * The texts of inventory problems, from messages/core.inventory.md.
 */
import { Messages } from '@salesforce/core';

Messages.importMessagesDirectoryFromMetaUrl(import.meta.url);
export const inventoryMessages = Messages.loadMessages('plugin-bulkops', 'core.inventory');
