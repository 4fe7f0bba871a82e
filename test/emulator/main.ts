/*
 * `npm run emulator`: starts the org emulator as its own process and prints how to reach it.
 *   --port N        listen on N (default: a free port)
 *   --seed FILE     add users, objects, records and settings from a JSON or YAML seed file
 *   --sandbox       the org says it is a sandbox (Organization.IsSandbox; setting isSandbox)
 *   --json          print {url, accessToken, username, orgId} as one JSON line (for scripts)
 *   --bench         for benchmarks: inserted records are not kept (a 10M-row load fits in memory)
 *                   and simulated time runs fast enough not to be the bottleneck
 *   --accounts N    the org starts with N generated Accounts (about 150 bytes of CSV each), for the
 *                   export bench
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
const url = await emulator.start();
if (opt('accounts')) seedAccounts(Number(opt('accounts')));
if (args.includes('--bench')) emulator.store.retainInserts = false;
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
/** Accounts shaped like the bench's insert file (a quoted name with a comma, realistic text). */
function seedAccounts(n: number): void {
  const def = emulator.store.describe('Account')!;
  const industries = ['Banking', 'Energy', 'Retail', 'Technology', 'Other'];
  const cities = ['Paris', 'Oslo', 'Rome', 'Lisbon', 'Dublin'];
  for (let i = 1; i <= n; i++) {
    emulator.store.insert(
      def,
      { Name: `Company ${i}, Ltd`, External_Id__c: `BENCH-${i}`, Industry: industries[i % 5], NumberOfEmployees: (i * 7) % 5000, BillingCity: cities[i % 5], Description: `Account ${i} created for the benchmark run, kept for the export` },
      emulator.defaultUserId
    );
  }
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
