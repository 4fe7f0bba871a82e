import { readdirSync, readFileSync, rmSync, mkdirSync } from 'node:fs';
import { startEmulator } from './helpers/emulator.js';
import { lib, splitLikeLoad } from './bench/splitInput.js';
const ticks = (): Map<string, number> => {
  const m = new Map<string, number>();
  for (const t of readdirSync('/proc/self/task')) {
    try { const f = readFileSync(`/proc/self/task/${t}/stat`, 'utf8').split(') ')[1].split(' '); m.set(t, (Number(f[11]) + Number(f[12])) * 10); } catch { /* gone */ }
  }
  return m;
};
const emu = await startEmulator();
await lib();
const file = process.argv[2];
for (let r = 0; r < Number(process.env.RUNS ?? 2); r++) {
  rmSync('/tmp/tsplit', { recursive: true, force: true }); mkdirSync('/tmp/tsplit');
  const before = ticks();
  const t = Date.now();
  const seen = new Map<string, number>();
  const iv = setInterval(() => { for (const [k, v] of ticks()) seen.set(k, v); }, 20);
  const res = await splitLikeLoad(file, '/tmp/tsplit', { instanceUrl: emu.url, accessToken: emu.accessToken });
  clearInterval(iv);
  for (const [k, v] of ticks()) seen.set(k, v);
  const used = [...seen].map(([k, v]) => v - (before.get(k) ?? 0)).filter((v) => v > 50).sort((a, b) => b - a);
  console.log(`wall ${Date.now() - t} ms, ${res.threads} threads, cpu by thread ${JSON.stringify(used.slice(0, 4))} total ${used.reduce((a, b) => a + b, 0)}`);
}
await emu.stop();
