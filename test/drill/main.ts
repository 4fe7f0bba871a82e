/*
 * `npm run drill`: a few simulated weeks (DRILL_DAYS, 28 by default), or the quarter with DRILL_FULL=1;
 * prints the scorecard and writes it to drill-scorecard.json (DRILL_OUTPUT).
 */
import { printScorecard } from './scorecard.js';
import { runDrill } from './run.js';

const days = process.env.DRILL_FULL === '1' ? 90 : Number(process.env.DRILL_DAYS ?? 28);
const output = process.env.DRILL_OUTPUT ?? 'drill-scorecard.json';
const card = await runDrill({ days, output, onDay: (d) => process.stderr.write(`day ${d}\n`) });
process.stdout.write(printScorecard(card) + `\n\nScorecard written to ${output}\n`);
process.exitCode = card.goalsMet ? 0 : 1;
