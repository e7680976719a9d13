/** The IRC and TLS options (issue 15): defaults off, flags and environment, one clear line for a bad value. */
import { describe, expect, it } from 'vitest';
import { parseCommandLine } from '../src/cli.js';
import { ConfigError, DEFAULTS, resolveConfig } from '../src/config.js';
import { TlsCredentials } from '../src/transports/tls-credentials.js';

describe('IRC and TLS configuration', () => {
  it('is off by default', () => {
    expect(DEFAULTS).toMatchObject({ ircPort: null, tlsPort: null, tlsCertFile: '', tlsKeyFile: '' });
    expect(Object.isFrozen(resolveConfig({ ircPort: 6667 }))).toBe(true);
  });

  it('reads --irc-port, --tls-port, --tls-cert and --tls-key, and their environment variables', () => {
    const flags = parseCommandLine(['--irc-port', '6667', '--tls-port', '6697', '--tls-cert', 'c.pem', '--tls-key', 'k.pem'], {});
    expect(flags).toMatchObject({ ircPort: 6667, tlsPort: 6697, tlsCertFile: 'c.pem', tlsKeyFile: 'k.pem' });
    const env = parseCommandLine([], { IRC_PORT: '7000', TLS_PORT: '7001', TLS_CERT_FILE: 'a.pem', TLS_KEY_FILE: 'b.pem' });
    expect(env).toMatchObject({ ircPort: 7000, tlsPort: 7001, tlsCertFile: 'a.pem', tlsKeyFile: 'b.pem' });
  });

  it.each([
    ['an IRC port above 65535', { ircPort: 70000 }, /ircPort must be an integer from 0 to 65535/],
    ['the IRC port on the TCP port', { tcpPort: 4000, ircPort: 4000 }, /must all differ/],
    ['the TLS port on the HTTP port', { httpPort: 8443, tlsPort: 8443, tlsCertFile: 'c', tlsKeyFile: 'k' }, /must all differ/],
    ['a certificate without a key', { tlsCertFile: 'c.pem' }, /set both TLS_CERT_FILE and TLS_KEY_FILE/],
    ['a TLS port without a certificate', { tlsPort: 6697 }, /tlsPort needs a certificate/],
  ])('refuses %s in one line', (_, overrides, message) => {
    expect(() => resolveConfig(overrides)).toThrow(ConfigError);
    expect(() => resolveConfig(overrides)).toThrow(message);
  });

  it('refuses certificate files it cannot read, naming the file and the variable', () => {
    expect(() => new TlsCredentials({ tlsCertFile: '/nonexistent/cert.pem', tlsKeyFile: '/nonexistent/key.pem' })).toThrow(
      /TLS: cannot read the certificate \(TLS_CERT_FILE\) \/nonexistent\/cert\.pem: ENOENT/,
    );
  });
});
