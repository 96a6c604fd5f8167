// Minimal namespace primitives for the agent's end-to-end tests, until the shared harness
// (test/helpers/netns.ts) lands; then this file goes and the lab uses that one.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export async function sh(cmd: string, args: readonly string[], input?: string): Promise<string> {
  if (input === undefined) return (await run(cmd, args)).stdout;
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, (err, stdout) => (err ? reject(err) : resolve(stdout)));
    child.stdin?.end(input);
  });
}

export async function addNetns(name: string): Promise<void> {
  await sh('ip', ['netns', 'add', name]);
  await sh('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
}

export async function delNetns(name: string): Promise<void> {
  await sh('ip', ['netns', 'del', name]).catch(() => undefined);
}

export function spawnIn(
  ns: string,
  cmd: string,
  args: readonly string[],
  env?: NodeJS.ProcessEnv,
): ChildProcess {
  return spawn('ip', ['netns', 'exec', ns, cmd, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
}

/** Replaces the `inet tda` table of a namespace with these rules (nft syntax, one chain body each). */
export async function nftRules(
  ns: string,
  input: readonly string[],
  output: readonly string[],
): Promise<void> {
  const script = [
    'table inet tda',
    'delete table inet tda',
    'table inet tda {',
    '  chain input { type filter hook input priority 0; policy accept;',
    ...input.map((r) => `    ${r}`),
    '  }',
    '  chain output { type filter hook output priority 0; policy accept;',
    ...output.map((r) => `    ${r}`),
    '  }',
    '}',
  ].join('\n');
  await sh('ip', ['netns', 'exec', ns, 'nft', '-f', '-'], `${script}\n`);
}

export async function nftClear(ns: string): Promise<void> {
  await sh('ip', ['netns', 'exec', ns, 'nft', 'delete', 'table', 'inet', 'tda']).catch(() => undefined);
}
