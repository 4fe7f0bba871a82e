/*
 * An --inventory flag's file, read for a command that needs a valid one: a file with problems stops
 * the command with the first problem and the validate command to see them all.
 */
import { resolve } from 'node:path';
import { SfError } from '@salesforce/core';
import type { Messages } from '@salesforce/core';
import { checkInventoryFile, InventoryFileError } from '../core/inventory/validate.js';
import type { Inventory } from '../core/inventory/schema.js';

/** `messages` must hold error.inventory and error.inventory.actions. */
export function readInventoryFlag(file: string, messages: Messages<string>): Inventory {
  try {
    const check = checkInventoryFile(resolve(file));
    if (check.inventory) return check.inventory;
    const p = check.problems[0];
    throw messages.createError('error.inventory', [file, check.problems.length, p.line, p.path ? `${p.path}: ` : '', p.message], [file]);
  } catch (e) {
    if (e instanceof InventoryFileError) throw new SfError(e.message, 'InventoryFileError', e.actions);
    throw e;
  }
}
