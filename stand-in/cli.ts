/**
 * Runs the stand-in from a shell:
 *   node out/stand-in/cli.js --port 3939 --api-key test-key [--api-key other] [--config steps.json] [--host 127.0.0.1]
 * Prints `DocuTray stand-in listening on http://127.0.0.1:<port>` (then the steps it serves) and
 * stops cleanly on SIGINT/SIGTERM.
 */
import { startStandIn, type StandInOptions } from './server';

const USAGE =
  'usage: node out/stand-in/cli.js [--port <port>] [--host <host>] [--api-key <key>]... [--config <file.json>]';

class UsageError extends Error {}

export function parseArgs(argv: readonly string[]): StandInOptions {
  const opts: StandInOptions = {};
  const keys: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].includes('=') ? argv[i].split(/=(.*)/s, 2) : [argv[i], undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') {
        throw new UsageError(`${flag} needs a value`);
      }
      return v;
    };
    switch (flag) {
      case '--port': {
        const port = Number(value());
        if (!Number.isInteger(port) || port < 0 || port > 65535) {
          throw new UsageError('--port must be 0–65535');
        }
        opts.port = port;
        break;
      }
      case '--host':
        opts.host = value();
        break;
      case '--api-key':
        keys.push(value());
        break;
      case '--config':
        opts.configFile = value();
        break;
      default:
        throw new UsageError(`unknown argument ${argv[i]}`);
    }
  }
  if (keys.length) {
    opts.apiKeys = keys;
  }
  return opts;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return;
  }
  const standIn = await startStandIn(parseArgs(argv));
  console.log(`DocuTray stand-in listening on ${standIn.url}`);
  for (const step of standIn.steps()) {
    console.log(`  step ${step.id}${step.name ? ` — ${step.name}` : ''} (${step.outcome.status})`);
  }
  const stop = (signal: string): void => {
    // stderr: stdout carries only the listening line and the step list, for scripts that read it.
    console.error(`DocuTray stand-in: ${signal}, stopping`);
    standIn.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

if (require.main === module) {
  main().catch(e => {
    console.error(
      e instanceof UsageError
        ? `${e.message}\n${USAGE}`
        : `DocuTray stand-in: ${e instanceof Error ? e.message : String(e)}`,
    );
    process.exit(2);
  });
}
