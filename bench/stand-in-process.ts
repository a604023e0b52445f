/**
 * The DocuTray stand-in in a child process (its CLI), so the benchmark process holds only the client
 * and its memory and CPU are the client's alone. Talks to the stand-in's control API over HTTP.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutionInfo, StandInConfig } from '../stand-in/server';

export interface StandInProcess {
  url: string;
  pid: number;
  executions(): Promise<ExecutionInfo[]>;
  stop(): Promise<void>;
}

const CLI = join(__dirname, '..', 'stand-in', 'cli.js');
const LISTENING = /DocuTray stand-in listening on (http:\/\/\S+)/;

export async function startStandInProcess(opts: {
  apiKey: string | string[];
  config: StandInConfig;
  dir: string;
}): Promise<StandInProcess> {
  const configFile = join(opts.dir, 'stand-in.json');
  writeFileSync(configFile, JSON.stringify(opts.config));
  const keys = (Array.isArray(opts.apiKey) ? opts.apiKey : [opts.apiKey]).flatMap(k => ['--api-key', k]);
  const child = spawn(process.execPath, [CLI, '--port', '0', ...keys, '--config', configFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => fail(new Error('the stand-in did not start within 15 s')), 15_000);
    const fail = (e: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${e.message}${stderr ? `\n${stderr}` : ''}`));
    };
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = LISTENING.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once('error', fail);
    child.once('exit', code => fail(new Error(`the stand-in exited (${code}) before listening`)));
  });
  child.removeAllListeners('exit');
  // Keep reading its stdout so a chatty stand-in can never block on a full pipe.
  child.stdout?.resume();
  return {
    url,
    pid: child.pid as number,
    executions: () => control<ExecutionInfo[]>(url, 'executions'),
    stop: () => stop(child),
  };
}

async function control<T>(url: string, route: string): Promise<T> {
  const res = await fetch(`${url}/__stand-in/${route}`);
  if (!res.ok) {
    throw new Error(`stand-in control ${route}: HTTP ${res.status}`);
  }
  return (await res.json()) as T;
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve();
  }
  return new Promise(resolve => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
