/**
 * Cold start and memory: the app under measure runs as its own process (`src/server.ts` bundled, as
 * `npm start` runs it) so its memory is its own. The first spawn is timed to ready; each process's
 * peak resident memory (VmHWM) is read before it is stopped.
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { spawnApp } from '../stack.js';

/** A process's peak resident memory (VmHWM), in MB. */
export function vmHwmMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
}

export class AppProcesses {
  /** One entry per app process, in the order they ran. */
  readonly rssByProcessMb: number[] = [];
  readonly coldStartMs: number;
  #peakRssMb = 0;
  #app: ChildProcess;

  private constructor(app: ChildProcess, coldStartMs: number) {
    this.#app = app;
    this.coldStartMs = coldStartMs;
  }

  static async coldStart(env: NodeJS.ProcessEnv): Promise<AppProcesses> {
    const t0 = Date.now();
    const app = await spawnApp(env, 'inherit');
    return new AppProcesses(app, Date.now() - t0);
  }

  get pid(): number | undefined {
    return this.#app.pid;
  }

  async restart(env: NodeJS.ProcessEnv): Promise<void> {
    await this.stop();
    this.#app = await spawnApp(env, 'inherit');
  }

  async stop(): Promise<void> {
    const a = this.#app;
    if (a.exitCode !== null) return;
    const hwm = vmHwmMb(a.pid ?? 0);
    this.rssByProcessMb.push(hwm);
    this.#peakRssMb = Math.max(this.#peakRssMb, hwm);
    await new Promise<void>((r) => (a.once('exit', () => r()), a.kill('SIGTERM')));
  }

  /** Counts the running process's peak so far in, without stopping it; returns the peak of all. */
  peakRssMb(): number {
    this.rssByProcessMb.push(vmHwmMb(this.#app.pid ?? 0));
    this.#peakRssMb = Math.max(this.#peakRssMb, ...this.rssByProcessMb);
    return this.#peakRssMb;
  }
}
