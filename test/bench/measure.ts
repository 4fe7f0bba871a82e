/*
 * One process measured as a user sees it: wall time, exit code, output, and peak RSS (VmHWM,
 * sampled until it exits).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

export type Measured = { code: number; wallMs: number; peakRssMb: number; stdout: string; stderr: string };

export function measure(cmd: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<Measured> {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(cmd, args, { env, cwd });
    let stdout = '';
    let stderr = '';
    let peakKb = 0;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const sample = (): void => {
      try {
        const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid!}/status`, 'utf8'));
        if (m) peakKb = Math.max(peakKb, Number(m[1]));
      } catch {
        // the process has exited
      }
    };
    const timer = setInterval(sample, 25);
    child.on('exit', (code) => {
      clearInterval(timer);
      resolve({ code: code ?? -1, wallMs: Date.now() - started, peakRssMb: Math.round(peakKb / 1024), stdout, stderr });
    });
  });
}
