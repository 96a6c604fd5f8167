// `tandem import keepalived.conf`: one tandem config per VRRP instance (or sync group), printed or
// written with --out; what could not be mapped goes to stderr with keepalived's line numbers. Exit 0
// when converted, 2 when refused (nothing is written then).
import type { Command } from 'commander';
import type { ImportFlags } from '../../import/keepalived/command.js';

export function registerImport(program: Command): void {
  program
    .command('import')
    .description('turn a keepalived.conf VRRP instance into a tandem config (docs/migrate-keepalived.md)')
    .argument('<keepalived.conf>', 'the keepalived configuration (includes are followed)')
    .option(
      '-o, --out <file|dir>',
      'write the config there (a folder: one <pair>.yaml per instance); default: print it',
    )
    .option('--instance <name>', 'only this vrrp_instance or vrrp_sync_group')
    .option('--node <name>', "this node's name (default: global_defs router_id, else the host name)")
    .option('--role <primary|secondary>', 'override the role that state MASTER/BACKUP gives')
    .option(
      '--key-file <path>',
      'the pair key file (default: <pair>.key beside the config); kept when it exists',
    )
    .option('--local-address <ip>', "this node's keepalive address (multicast instances)")
    .option('--peer-address <ip>', "the peer's keepalive address (multicast instances)")
    .action(async (file: string, flags: ImportFlags) => {
      const { importKeepalived } = await import('../../import/keepalived/command.js');
      process.exitCode = importKeepalived(file, flags, {
        out: (text) => process.stdout.write(text),
        err: (line) => console.error(line),
      });
    });
}
