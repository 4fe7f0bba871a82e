/*
 * The texts of preflight problems and errors, from messages/core.preflight.md (users read them; they
 * say what is wrong with the header or the row, and what to do).
 */
import { lazyMessages } from '../lazyMessages.js';

// Loaded when first used: the split's worker threads load @salesforce/core only if a row has a problem.
export const preflightMessages = lazyMessages(import.meta.url, 'core.preflight');
