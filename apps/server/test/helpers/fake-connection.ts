/** An in-process Connection for unit tests of the session's parts: records what the core does to it. */
import type { Connection, EndReason } from '../../src/core/connection.js';
import type { FrameRenderer } from '../../src/core/encoded-frame.js';
import type { TransportName } from '../../src/core/stats.js';

export class FakeConnection implements Connection {
  readonly transport: TransportName;
  readonly remoteAddress = '192.0.2.1';
  readonly renderer: FrameRenderer | undefined;
  token: string | undefined = undefined;
  /** Set by a test to play a client that does not read. */
  writableLength = 0;
  readonly writes: Buffer[] = [];
  paused = false;
  pauses = 0;
  probes = 0;
  ended: EndReason | undefined;
  destroyed = false;

  constructor(transport: TransportName = 'tcp', renderer?: FrameRenderer) {
    this.transport = transport;
    this.renderer = renderer;
  }

  /** Everything written, as one string. */
  get text(): string {
    return Buffer.concat(this.writes).toString('utf8');
  }

  write(bytes: Buffer): void {
    this.writes.push(bytes);
  }

  pause(): void {
    this.paused = true;
    this.pauses++;
  }

  resume(): void {
    this.paused = false;
  }

  probe(): boolean {
    this.probes++;
    return false;
  }

  end(reason: EndReason): void {
    this.ended = reason;
  }

  destroy(): void {
    this.destroyed = true;
  }
}
