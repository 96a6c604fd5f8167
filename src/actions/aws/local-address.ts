// The OS half of a secondary-IP move: the platform maps the address to our ENI, the kernel must also own it.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface LocalAddresses {
  add(iface: string, cidr: string): Promise<void>;
  remove(iface: string, cidr: string): Promise<void>;
  has(iface: string, address: string): Promise<boolean>;
}

/** `ip addr` in this process's network namespace (or in `netns`, for tests). */
export function ipCommand(netns?: string): LocalAddresses {
  const ip = (args: string[]) => run('ip', netns ? ['-n', netns, ...args] : args, { timeout: 5000 });
  return {
    // `replace` is idempotent: a claim repeated after a restart does not fail on "File exists".
    add: async (iface, cidr) => void (await ip(['addr', 'replace', cidr, 'dev', iface])),
    remove: async (iface, cidr) => {
      try {
        await ip(['addr', 'del', cidr, 'dev', iface]);
      } catch (err) {
        // Already gone is what we wanted (iproute2 words it differently across versions).
        if (
          !/Cannot assign requested address|Address not found/.test(
            String((err as { stderr?: unknown }).stderr),
          )
        )
          throw err;
      }
    },
    has: async (iface, address) => {
      const { stdout } = await ip(['-j', 'addr', 'show', 'dev', iface]);
      const links = JSON.parse(stdout) as { addr_info?: { local?: string }[] }[];
      return links.some((l) => (l.addr_info ?? []).some((a) => a.local === address));
    },
  };
}
