/*
 * Child process for crash tests: runs one load with the request given as JSON in argv[2], or
 * resumes the run folder given there. The test sets SF_BULKOPS_CRASH_AT so the engine kills this
 * process with SIGKILL at a chosen point (or kills it itself).
 */
import { testEngine, type ChildInput } from './engine.js';

const input = JSON.parse(process.argv[2]) as ChildInput;
const { engine } = testEngine(input.target);
const result = 'resume' in input ? await engine.resume(input.resume.runDir, input.resume.waitMs) : await engine.start(input.request);
process.stdout.write(JSON.stringify(result));
