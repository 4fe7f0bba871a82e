/*
 * Runs the real `sf` binary (the @salesforce/cli dev dependency) in an isolated home folder, so
 * tests log in to the emulator and run official and bulkops commands exactly as a user would.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const PROJECT_ROOT = resolve(new URL('../..', import.meta.url).pathname);
export const SF_BIN = join(PROJECT_ROOT, 'node_modules', '@salesforce', 'cli', 'bin', 'run.js');

export type SfRun = { code: number; stdout: string; stderr: string; json?: SfJson };
export type SfJson = { status: number; result?: unknown; name?: string; message?: string; warnings?: string[]; exitCode?: number };

/** A command started with SfHome.start: its process, what it printed so far, and its end. */
export type SfChild = {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** resolves once the stream has printed text that matches (or rejects when the process ends first) */
  waitFor: (pattern: RegExp, stream?: 'stdout' | 'stderr') => Promise<void>;
  /** the exit: code (null when a signal ended it) and the signal */
  done: Promise<SfRun & { signal: NodeJS.Signals | null }>;
};

export class SfHome {
  public readonly home: string;

  public constructor() {
    this.home = mkdtempSync(join(tmpdir(), 'bulkops-sf-'));
  }

  public env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return {
      ...process.env,
      HOME: this.home,
      // plugins spawn `sf` by name: make it the dev dependency's
      PATH: `${join(PROJECT_ROOT, 'node_modules', '.bin')}:${process.env.PATH ?? ''}`,
      XDG_DATA_HOME: join(this.home, '.local', 'share'),
      XDG_CONFIG_HOME: join(this.home, '.config'),
      XDG_CACHE_HOME: join(this.home, '.cache'),
      SF_DISABLE_DNS_CHECK: 'true',
      SF_AUTOUPDATE_DISABLE: 'true',
      SF_DISABLE_AUTOUPDATE: 'true',
      SF_DISABLE_TELEMETRY: 'true',
      SF_SKIP_NEW_VERSION_CHECK: 'true',
      SF_USE_GENERIC_UNIX_KEYCHAIN: 'true',
      SF_CONTENT_TYPE: '',
      SF_BULKOPS_POLL_MS: '100',
      FORCE_COLOR: '0',
      NO_COLOR: '1',
      ...extra,
    };
  }

  /** Runs `sf ARGS`; with --json in args the parsed JSON is returned too. */
  public run(args: string[], opts: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {}): Promise<SfRun> {
    return new Promise((resolvePromise) => {
      execFile(
        process.execPath,
        [SF_BIN, ...args],
        { env: this.env(opts.env), cwd: opts.cwd ?? this.home, timeout: opts.timeoutMs ?? 180_000, maxBuffer: 64 * 1024 * 1024 },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
          let json: SfJson | undefined;
          if (args.includes('--json')) {
            try {
              json = JSON.parse(stdout) as SfJson;
            } catch {
              json = undefined;
            }
          }
          resolvePromise({ code, stdout, stderr, json });
        }
      );
    });
  }

  /**
   * Starts `sf ARGS` and returns at once, for tests that act on the process while it runs (send it
   * a signal once it printed a line, say). The process is `sf` itself: a signal reaches the command.
   */
  public start(args: string[], opts: { env?: Record<string, string>; cwd?: string } = {}): SfChild {
    const child = spawn(process.execPath, [SF_BIN, ...args], { env: this.env(opts.env), cwd: opts.cwd ?? this.home, stdio: ['ignore', 'pipe', 'pipe'] });
    const text = { stdout: '', stderr: '' };
    const waiters: Array<() => void> = [];
    const seen = (): void => waiters.splice(0).forEach((w) => w());
    child.stdout.on('data', (b: Buffer) => {
      text.stdout += b.toString();
      seen();
    });
    child.stderr.on('data', (b: Buffer) => {
      text.stderr += b.toString();
      seen();
    });
    let ended = false;
    const done = new Promise<SfRun & { signal: NodeJS.Signals | null }>((resolvePromise) => {
      child.on('close', (code, signal) => {
        ended = true;
        seen();
        let json: SfJson | undefined;
        if (args.includes('--json')) {
          try {
            json = JSON.parse(text.stdout) as SfJson;
          } catch {
            json = undefined;
          }
        }
        resolvePromise({ code: code ?? -1, signal, stdout: text.stdout, stderr: text.stderr, json });
      });
    });
    const waitFor = (pattern: RegExp, stream: 'stdout' | 'stderr' = 'stdout'): Promise<void> =>
      new Promise((resolvePromise, reject) => {
        const look = (): void => {
          if (pattern.test(text[stream])) resolvePromise();
          else if (ended) reject(new Error(`sf ${args.join(' ')} ended without printing ${String(pattern)} on ${stream}:\n${text.stdout}\n${text.stderr}`));
          else waiters.push(look);
        };
        look();
      });
    return { child, stdout: () => text.stdout, stderr: () => text.stderr, waitFor, done };
  }

  /** `sf org login access-token` against an emulator; returns the alias. */
  public async login(instanceUrl: string, accessToken: string, alias = 'emu'): Promise<string> {
    const r = await this.run(['org', 'login', 'access-token', '--instance-url', instanceUrl, '--alias', alias, '--no-prompt', '--json'], {
      env: { SF_ACCESS_TOKEN: accessToken },
    });
    if (r.code !== 0) throw new Error(`login failed (${r.code}): ${r.stdout} ${r.stderr}`);
    return alias;
  }

  /** Logs in to the emulator as `emu` and links this plugin: what a test of a bulkops command through `sf` starts with. */
  public async loginAndLink(instanceUrl: string, accessToken: string): Promise<void> {
    await this.login(instanceUrl, accessToken);
    const link = await this.run(['plugins', 'link', PROJECT_ROOT]);
    if (link.code !== 0) throw new Error(`plugins link failed (${link.code}): ${link.stderr}`);
  }

  /**
   * `sf plugins link` of this project, as a developer links it: sf then runs the compiled lib/ (built
   * first). --no-install: the project's node_modules are already in place (an install would replace
   * them, and take a minute).
   */
  public async linkPlugin(): Promise<void> {
    const link = await this.run(['plugins', 'link', PROJECT_ROOT, '--no-install']);
    if (link.code !== 0) throw new Error(`sf plugins link failed (${link.code}): ${link.stderr}`);
  }

  /**
   * For tests that run @salesforce/core in this process (jsforce through a Connection): its state and
   * logs go to this throw-away home. Returns the function that puts the environment back.
   */
  public useInThisProcess(): () => void {
    const saved: Record<string, string | undefined> = {};
    const env = this.env();
    for (const k of ['HOME', 'XDG_DATA_HOME', 'XDG_CONFIG_HOME', 'XDG_CACHE_HOME', 'SF_DISABLE_DNS_CHECK', 'SF_DISABLE_LOG_FILE']) {
      saved[k] = process.env[k];
      process.env[k] = k === 'SF_DISABLE_LOG_FILE' ? 'true' : env[k];
    }
    return (): void => {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    };
  }

  public dispose(): void {
    rmSync(this.home, { recursive: true, force: true });
  }
}
