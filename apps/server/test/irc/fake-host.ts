/** A fake IrcHost: what the IRC dialect sends to the core and writes to the client, without sockets. */
import pino from 'pino';
import { createClientCodec, type ClientFrame } from '@loopchat/protocol';
import { resolveConfig, type Config } from '../../src/config.js';
import type { ServerContext } from '../../src/core/context.js';
import { Stats } from '../../src/core/stats.js';
import { IrcDialect, type IrcHost } from '../../src/irc/irc-dialect.js';

export class FakeIrcHost implements IrcHost {
  readonly ctx: ServerContext;
  nick: string | null = null;
  readonly rooms = new Set<{ name: string }>();
  isClosing = false;
  /** Frames submitted to the core, in order. */
  readonly frames: ClientFrame[] = [];
  /** Everything written to the client, as text. */
  written = '';
  tokens = Infinity;
  quits = 0;
  readonly irc: IrcDialect;

  /** `shared`: the context of another fake host, as connections of one server share theirs. */
  constructor(overrides: Partial<Config> = {}, shared?: ServerContext) {
    this.ctx = shared ?? FakeIrcHost.context(overrides);
    this.irc = new IrcDialect(this);
  }

  static context(overrides: Partial<Config> = {}): ServerContext {
    const config = resolveConfig({ tcpPort: 0, httpPort: 0, logLevel: 'silent', serverName: 'irc.test', ...overrides });
    return {
      config,
      codec: createClientCodec({ maxTextLength: config.maxTextLength }),
      hub: { nickCount: 2, rooms: new Map([['general', {}]]) },
      stats: new Stats(),
      sessions: new Set([{}, {}, {}]),
      log: pino({ level: 'silent' }),
      auth: undefined,
    } as unknown as ServerContext;
  }

  submit(frame: ClientFrame): void {
    this.frames.push(frame);
  }

  takeToken(): boolean {
    if (this.tokens <= 0) return false;
    this.tokens--;
    return true;
  }

  sendBytes(bytes: Buffer): void {
    this.written += bytes.toString('utf8');
  }

  quit(): void {
    this.quits++;
  }

  /** Feeds lines; returns what was written meanwhile, one string per line without CR LF. */
  send(...lines: string[]): string[] {
    const start = this.written.length;
    for (const line of lines) this.irc.onLine(line);
    return splitLines(this.written.slice(start));
  }

  /** The last frame submitted, with its id. */
  last(): ClientFrame & { id: number } {
    return this.frames.at(-1) as ClientFrame & { id: number };
  }
}

export function splitLines(text: string): string[] {
  return text.split('\r\n').filter((line) => line !== '');
}
