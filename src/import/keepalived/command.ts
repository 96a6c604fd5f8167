// The import as a function of its flags and two output streams: the YAML (stdout) and the report
// (stderr). Exit 0 when converted, 2 when refused (nothing written then).
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { convertKeepalived } from './convert.js';
import { emitAll, findingLines, ImportError, where } from './emit.js';
import { KeepalivedSyntaxError, parseKeepalived } from './syntax.js';

export interface ImportFlags {
  out?: string;
  instance?: string;
  node?: string;
  role?: string;
  keyFile?: string;
  localAddress?: string;
  peerAddress?: string;
}

export interface Output {
  out(text: string): void;
  err(line: string): void;
}

export function importKeepalived(file: string, flags: ImportFlags, io: Output): number {
  if (flags.role !== undefined && flags.role !== 'primary' && flags.role !== 'secondary') {
    io.err(`tandem import: --role ${flags.role}: expected primary or secondary`);
    return 2;
  }
  try {
    const { units, findings } = convertKeepalived(parseKeepalived(file), {
      hostname: hostname(),
      ...(flags.node ? { node: flags.node } : {}),
      ...(flags.role ? { role: flags.role as 'primary' | 'secondary' } : {}),
      ...(flags.localAddress ? { local_address: flags.localAddress } : {}),
      ...(flags.peerAddress ? { peer_address: flags.peerAddress } : {}),
    });
    const chosen =
      flags.instance === undefined
        ? units
        : units.filter(
            (u) => u.name === flags.instance || (u.ok && u.instances.some((i) => i.name === flags.instance)),
          );
    if (chosen.length === 0)
      throw new ImportError(
        'IMPORT_NO_SUCH_INSTANCE',
        flags.instance === undefined
          ? `${file}: no vrrp_instance found`
          : `${file}: no vrrp_instance or vrrp_sync_group ${flags.instance} (there are: ${units.map((u) => u.name).join(', ') || 'none'})`,
      );
    const refused = chosen.flatMap((u) =>
      u.ok ? [] : u.problems.map((p) => `  ${where(p.at)}: ${u.name}: ${p.message}`),
    );
    if (refused.length > 0)
      throw new ImportError('IMPORT_REFUSED', `refused, nothing written:\n${refused.join('\n')}`);
    const ok = chosen.flatMap((u) => (u.ok ? [u] : []));
    const outDir = flags.out !== undefined && (ok.length > 1 || isDir(flags.out)) ? resolve(flags.out) : null;
    if (ok.length > 1 && flags.out === undefined)
      throw new ImportError(
        'IMPORT_SEVERAL_UNITS',
        `${file} holds ${ok.length} instances or sync groups (${ok.map((u) => u.name).join(', ')}), each its own tandem pair: pass --out DIR for one config each, or --instance NAME`,
      );
    if (ok.length > 1 && flags.keyFile !== undefined)
      throw new ImportError(
        'IMPORT_SEVERAL_UNITS',
        '--key-file names one key; several pairs need one each: leave it out',
      );
    if (outDir !== null) mkdirSync(outDir, { recursive: true });
    const plans = ok.map((unit, i) => {
      const name = String(unit.config.pair);
      const config_file =
        outDir !== null ? join(outDir, `${name}.yaml`) : flags.out !== undefined ? resolve(flags.out) : null;
      const key_file = resolve(
        flags.keyFile ?? join(config_file === null ? process.cwd() : dirname(config_file), `${name}.key`),
      );
      return { unit, config_file, key_file, index: ok.length > 1 ? i : null };
    });
    for (const p of plans) mkdirSync(dirname(p.config_file ?? p.key_file), { recursive: true });
    const emitted = emitAll(plans, resolve(file), findings);
    for (const e of emitted) {
      const p = e.planned;
      if (p.config_file === null) io.out(e.yaml);
      io.err(
        `tandem import: ${p.unit.instances.map((x) => x.name).join(' + ')} → ${p.config_file ?? 'standard output'} (pair ${String(p.unit.config.pair)}, node ${String(p.unit.config.node)}, ${String(p.unit.config.role)})`,
      );
      io.err(
        e.key === 'created'
          ? `  key: a new pair key in ${p.key_file} (0600, not shown): copy it to the peer node, the same file on both`
          : `  key: ${p.key_file} exists and is kept (it must be the same file on both nodes)`,
      );
      for (const line of findingLines(p.unit.findings)) io.err(`  ${line}`);
    }
    for (const line of findingLines(findings)) io.err(`  ${line}`);
    return 0;
  } catch (err) {
    if (err instanceof KeepalivedSyntaxError || err instanceof ImportError) {
      io.err(`tandem import: ${err.message}`);
      return 2;
    }
    throw err;
  }
}

function isDir(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}
