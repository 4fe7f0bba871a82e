/*
 * `npm run emulator`: starts the org emulator as its own process and prints how to reach it.
 *   --port N        listen on N (default: a free port)
 *   --seed FILE     add users, objects, records and settings from a JSON or YAML seed file
 *   --sandbox       the org says it is a sandbox (Organization.IsSandbox; setting isSandbox)
 *   --json          print {url, accessToken, username, orgId} as one JSON line (for scripts)
 *   --bench         for benchmarks: inserted records are not kept (a 10M-row load fits in memory)
 *                   and simulated time runs fast enough not to be the bottleneck
 */
import { Emulator } from './server.js';
import { readSeedFile } from './seed.js';

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};

const emulator = new Emulator({
  port: opt('port') ? Number(opt('port')) : 0,
  seed: opt('seed') ? readSeedFile(opt('seed')!) : undefined,
  settings: {
    ...(args.includes('--bench') ? { clockSpeed: 1_000_000 } : {}),
    ...(args.includes('--sandbox') ? { isSandbox: true } : {}),
  },
});
if (args.includes('--bench')) emulator.store.retainInserts = false;
const url = await emulator.start();
const info = { url, accessToken: emulator.accessToken, username: emulator.defaultUsername, orgId: emulator.orgId };
if (args.includes('--json')) {
  process.stdout.write(`${JSON.stringify(info)}\n`);
} else {
  process.stdout.write(
    [
      `Salesforce org emulator listening on ${url}`,
      `  username:     ${info.username}`,
      `  access token: ${info.accessToken}`,
      `Log in with:  SF_ACCESS_TOKEN='${info.accessToken}' sf org login access-token --instance-url ${url} --alias emu --no-prompt`,
      'Stop with Ctrl+C.',
      '',
    ].join('\n')
  );
}
const stop = (): void => {
  void emulator.stop().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
// Stop with the process that started it (npm, a script), even when that one is killed with SIGKILL
// and cannot pass a signal on: an orphaned emulator would hold its port and memory for nothing.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) stop();
}, 500).unref();
