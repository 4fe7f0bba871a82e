/*
 * Preflight failures that stop it before any file check can run (the object itself is wrong).
 * Problems found in the file are not errors: they are collected as Problems and reported together.
 */
import { preflightMessages } from './messages.js';

export type PreflightErrorKind = 'unknown-object';

export class PreflightError extends Error {
  public constructor(
    public readonly kind: PreflightErrorKind,
    message: string,
    /** the object name as the user gave it */
    public readonly object: string,
    /** the closest name the org knows, when one is close enough to be a likely typo */
    public readonly suggestion?: string
  ) {
    super(message);
    this.name = 'PreflightError';
  }
}

export function unknownObjectError(object: string, suggestion: string | undefined): PreflightError {
  const hint = suggestion ? preflightMessages.getMessage('didYouMeanSuffix', [suggestion]) : preflightMessages.getMessage('checkObjectSpelling');
  return new PreflightError(
    'unknown-object',
    preflightMessages.getMessage('unknownObject', [object, hint]),
    object,
    suggestion
  );
}
