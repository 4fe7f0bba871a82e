/*
 * Child process for crash tests: runs one load with the request given as JSON in argv[2], resumes
 * the run folder given there, or sends rows of a run again (reconcile --retry, --fixed-file). The test sets SF_BULKOPS_CRASH_AT so the engine kills this
 * process with SIGKILL at a chosen point (or kills it itself).
 */
import { resend } from '../../src/core/reconcile/resend.js';
import { testEngine, type ChildInput } from './engine.js';

const input = JSON.parse(process.argv[2]) as ChildInput;
const { engine } = testEngine(input.target);
const result =
  'resume' in input
    ? await engine.resume(input.resume.runDir, input.resume.waitMs)
    : 'resend' in input
    ? await resend(engine, input.resend.runDir, input.resend.how, input.resend.waitMs)
    : await engine.start(input.request);
process.stdout.write(JSON.stringify(result));
