// Runs `tandem controller` as a child process (through tsx) and reads its address from stdout.
import { type ChildProcess, spawn } from 'node:child_process';

const root = new URL('../..', import.meta.url).pathname;

export interface ControllerProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** What the controller wrote to stderr so far (its log). */
  stderr(): string;
  kill(signal: NodeJS.Signals): Promise<void>;
}

export async function spawnController(
  store: string,
  admin_token: string,
  extra: string[] = [],
  node_args: string[] = [],
): Promise<ControllerProcess> {
  const child = spawn(
    process.execPath,
    [
      ...node_args,
      '--import',
      'tsx',
      'src/cli/main.ts',
      'controller',
      '--store',
      store,
      '--listen',
      '127.0.0.1:0',
      '--log-level',
      'warn',
      ...extra,
    ],
    {
      cwd: root,
      env: { ...process.env, TANDEM_ADMIN_TOKEN: admin_token },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`controller did not start in 30 s: ${stderr}`)), 30_000);
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /listening on (https?:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`controller exited with ${code}: ${stderr}`));
    });
  });
  return {
    url,
    child,
    stderr: () => stderr,
    async kill(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
