/*
 * Child process for export crash tests: runs one export (the request given as JSON in argv[2]) or
 * resumes the run folder given there. The test sets SF_BULKOPS_CRASH_AT so the export kills this
 * process with SIGKILL at a chosen page.
 */
import { testExport, type ExportChildInput } from './exportTest.js';

const input = JSON.parse(process.argv[2]) as ExportChildInput;
const run = testExport(input.target);
const result = 'resume' in input ? await run.resume(input.resume) : await run.start(input.request);
process.stdout.write(JSON.stringify(result));
