/**
 * The server's certificate and key (TLS_CERT_FILE, TLS_KEY_FILE), read at startup and again
 * on SIGHUP, and handed to every TLS listener (the TLS TCP port, HTTPS/WSS on the HTTP port).
 *
 * A reload replaces the listeners' secure context (tls.Server#setSecureContext): connections
 * already open keep the certificate they were made with, new ones get the new one. A reload
 * that cannot read or parse the files changes nothing and says why: a renewal script that
 * writes the key a moment after the certificate must not take the server's TLS down.
 */
import { readFileSync } from 'node:fs';
import { createSecureContext, type Server as TlsServer } from 'node:tls';
import { ConfigError } from '../config.js';

export interface TlsFiles {
  readonly tlsCertFile: string;
  readonly tlsKeyFile: string;
}

export interface TlsPair {
  readonly cert: Buffer;
  readonly key: Buffer;
}

export class TlsCredentials {
  readonly #files: TlsFiles;
  #pair: TlsPair;
  readonly #servers = new Set<TlsServer>();

  /** Reads and checks the files; a ConfigError (one line, which file, why) if they are unusable. */
  constructor(files: TlsFiles) {
    this.#files = files;
    this.#pair = readPair(files);
  }

  /** The key and certificate, for a listener's options. */
  get pair(): TlsPair {
    return this.#pair;
  }

  /** A listener that takes the new pair on reload. */
  track(server: TlsServer): void {
    this.#servers.add(server);
    server.once('close', () => this.#servers.delete(server));
  }

  /** Reads the files again and gives the pair to every listener; throws (changing nothing) if they are unusable. */
  reload(): void {
    const pair = readPair(this.#files);
    for (const server of this.#servers) server.setSecureContext({ cert: pair.cert, key: pair.key });
    this.#pair = pair;
  }
}

function readPair(files: TlsFiles): TlsPair {
  const cert = readPem(files.tlsCertFile, 'certificate (TLS_CERT_FILE)');
  const key = readPem(files.tlsKeyFile, 'private key (TLS_KEY_FILE)');
  try {
    // Parses both and checks the key matches the certificate, now rather than at the first handshake.
    createSecureContext({ cert, key });
  } catch (err) {
    throw new ConfigError(
      `TLS: ${files.tlsCertFile} and ${files.tlsKeyFile} are not a usable pair: ${(err as Error).message}`,
    );
  }
  return { cert, key };
}

function readPem(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ConfigError(
      `TLS: cannot read the ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
}
