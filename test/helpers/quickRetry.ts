/** A short retry time (3 s) and back-off, so "past the retry time" comes quickly in tests through sf. */
export const QUICK_RETRY = { SF_BULKOPS_RETRY_MINUTES: '0.05', SF_BULKOPS_RETRY_MS: '20' };
