/*
 * The texts of CSV input problems, from messages/core.csv.md (users read them; they name the file,
 * line and field, and say what to do).
 */
import { lazyMessages } from '../lazyMessages.js';

// Loaded when first used: the split's worker threads load @salesforce/core only if a row has a problem.
export const csvMessages = lazyMessages(import.meta.url, 'core.csv');
