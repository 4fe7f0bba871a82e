/*
 * The estimate and the observed rates of a run as its --json result shows them (the ledger's
 * records without their record type and time stamp).
 */
import type { RunState } from '../ledger/records.js';
import type { LoadEstimate } from '../ledger/shapes.js';
import type { ObservedRates } from '../ledger/shapes.js';

export function runEstimates(state: RunState): { estimate?: LoadEstimate; observed?: ObservedRates } {
  const out: { estimate?: LoadEstimate; observed?: ObservedRates } = {};
  if (state.estimate) {
    const { t, at, ...estimate } = state.estimate;
    void t;
    void at;
    out.estimate = estimate;
  }
  if (state.observed) {
    const { t, at, ...observed } = state.observed;
    void t;
    void at;
    out.observed = observed;
  }
  return out;
}
