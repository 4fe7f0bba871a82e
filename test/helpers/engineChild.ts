/*
 * Child process for crash tests: runs one load with the request given as JSON in argv[2]. The test
 * sets SF_BULKOPS_CRASH_AT so the engine kills this process with SIGKILL at a chosen point.
 */
import type { LoadRequest } from '../../src/core/load/types.js';
import { testEngine, type EngineTarget } from './engine.js';

const { target, request } = JSON.parse(process.argv[2]) as { target: EngineTarget; request: LoadRequest };
const { engine } = testEngine(target);
const result = await engine.start(request);
process.stdout.write(JSON.stringify(result));
