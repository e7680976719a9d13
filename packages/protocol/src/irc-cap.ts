/**
 * Connection registration for the IRC dialect, as a pure state machine: parsed messages in,
 * replies and events out. No I/O and no timers; the adapter writes the replies, checks the
 * token (PASS or SASL) with the core and owns the registration timeout.
 *
 *   CAP LS/REQ ──▶ negotiating ──CAP END──┐
 *   NICK, USER, PASS, AUTHENTICATE ───────┼──▶ nick ∧ user ∧ ¬negotiating ∧ ¬verifying
 *                                         └──▶ { registered: {nick, user, caps, pass?, sasl?} }
 *
 * Specs: RFC 2812 §3.1 (PASS, NICK, USER), IRCv3 capability negotiation
 * (https://ircv3.net/specs/extensions/capability-negotiation) and SASL 3.1
 * (https://ircv3.net/specs/extensions/sasl-3.1, PLAIN only: RFC 4616).
 */
import { checkNick } from './irc-casemapping.js';
import type { IrcMessage } from './irc-message.js';
import {
  ERR_ALREADYREGISTERED,
  ERR_INVALIDCAPCMD,
  ERR_NEEDMOREPARAMS,
  ERR_NOTREGISTERED,
  ERR_SASLABORTED,
  ERR_SASLFAIL,
  ERR_SASLTOOLONG,
  NO_NICK,
  RPL_SASLMECHS,
  numericError,
  numericReply,
  saslSuccessReplies,
} from './irc-numerics.js';

/**
 * What loopchat offers (CAP LS). Values only go to CAP LS 302 clients (capability
 * negotiation, "CAP LS"). Not `labeled-response`: it asks for a label or an ACK on every
 * reply of every command (a JOIN's NAMES in a labeled batch), which the server adapter
 * does not track yet; offering it and answering some commands unlabeled would break
 * clients that wait for their labels.
 */
export const IRC_CAPABILITIES = {
  'server-time': '',
  'message-tags': '',
  'echo-message': '',
  batch: '',
  'draft/chathistory': '',
  sasl: 'PLAIN',
} as const;

export type IrcCapability = keyof typeof IRC_CAPABILITIES;

/** RFC 4616 PLAIN: `authzid NUL authcid NUL password`. For loopchat, authcid is the nick and password the token. */
export interface SaslCredentials {
  authzid: string;
  account: string;
  password: string;
}

export interface IrcRegistered {
  nick: string;
  user: string;
  realname: string;
  caps: ReadonlySet<IrcCapability>;
  pass?: string;
  /** Set when SASL succeeded: the adapter already verified these (saslSucceeded). */
  sasl?: SaslCredentials;
}

export interface RegistrationStep {
  replies: IrcMessage[];
  /** Registration is complete: the adapter sends `hello` with the nick and token. */
  registered?: IrcRegistered;
  /** A SASL PLAIN exchange is complete: verify, then call saslSucceeded or saslFailed. */
  saslCredentials?: SaslCredentials;
  /** Not a registration command and the client is registered: the adapter handles it. */
  unhandled?: true;
  /** QUIT before registration. */
  quit?: true;
}

/** IRCv3 SASL 3.1: AUTHENTICATE payloads come in 400-byte chunks; a shorter one (or `+`) ends it. */
const SASL_CHUNK = 400;
/** Most base64 a PLAIN exchange may send: a 4,096-character token with two names, encoded. */
const SASL_MAX = 8192;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

type SaslState = 'idle' | 'plain' | 'verifying';

export class IrcRegistration {
  readonly #server: string;
  #nick: string | undefined;
  #user: { user: string; realname: string } | undefined;
  #pass: string | undefined;
  #caps = new Set<IrcCapability>();
  #negotiating = false;
  #registered = false;
  #sasl: SaslState = 'idle';
  #saslBuffer = '';
  #saslCredentials: SaslCredentials | undefined;
  #saslDone: SaslCredentials | undefined;

  constructor(server: string) {
    this.#server = server;
  }

  get registered(): boolean {
    return this.#registered;
  }

  /** The capabilities enabled now (CAP REQ may change them after registration too). */
  get caps(): ReadonlySet<IrcCapability> {
    return this.#caps;
  }

  handle(message: IrcMessage): RegistrationStep {
    const { params } = message;
    switch (message.command) {
      case 'CAP':
        return this.#cap(params);
      case 'NICK':
        return this.#registered ? UNHANDLED() : this.#nickCommand(params[0]);
      case 'USER':
        return this.#userCommand(params);
      case 'PASS':
        if (this.#registered) return this.#reply(numericError(this.#server, this.#target, ERR_ALREADYREGISTERED));
        if (params[0] === undefined) return this.#needMoreParams('PASS');
        this.#pass = params[0];
        return { replies: [] };
      case 'AUTHENTICATE':
        if (this.#registered) return this.#reply(numericError(this.#server, this.#target, ERR_ALREADYREGISTERED));
        return this.#authenticate(params[0]);
      case 'PING':
        // RFC 2812 §3.7.2: answered even before registration (some clients probe with it).
        if (this.#registered) return UNHANDLED();
        if (params[0] === undefined) return this.#needMoreParams('PING');
        return this.#reply({ prefix: this.#server, command: 'PONG', params: [this.#server, params[0]] });
      case 'PONG':
        return this.#registered ? UNHANDLED() : { replies: [] };
      case 'QUIT':
        return this.#registered ? UNHANDLED() : { replies: [], quit: true };
      default:
        return this.#registered ? UNHANDLED() : this.#reply(numericError(this.#server, this.#target, ERR_NOTREGISTERED));
    }
  }

  /** The core accepted the SASL credentials: 900 and 903, and registration may complete. */
  saslSucceeded(mask: string): RegistrationStep {
    if (this.#sasl !== 'verifying' || this.#saslCredentials === undefined) return { replies: [] };
    this.#saslDone = this.#saslCredentials;
    this.#sasl = 'idle';
    const replies = saslSuccessReplies(this.#server, this.#target, mask, this.#saslDone.account);
    return this.#complete(replies);
  }

  /** The core refused them: 904; the client may try again or go on without. */
  saslFailed(): RegistrationStep {
    this.#resetSasl();
    return this.#complete([numericError(this.#server, this.#target, ERR_SASLFAIL)]);
  }

  /**
   * The core refused the nick of the `registered` event (nick_taken): the client is not
   * registered after all and must send another NICK (RFC 2812 §3.1.2, 433 during registration).
   */
  nickRejected(): void {
    this.#registered = false;
    this.#nick = undefined;
  }

  /** The target of replies: the nick once one was accepted, `*` before (modern.ircdocs.horse, "Numerics"). */
  get #target(): string {
    return this.#nick ?? NO_NICK;
  }

  #reply(message: IrcMessage): RegistrationStep {
    return { replies: [message] };
  }

  #needMoreParams(command: string): RegistrationStep {
    return this.#reply(numericError(this.#server, this.#target, ERR_NEEDMOREPARAMS, command));
  }

  #nickCommand(nick: string | undefined): RegistrationStep {
    const checked = checkNick(nick);
    if (!checked.ok) {
      const fields = nick === undefined || nick === '' ? [checked.text] : [printable(nick), checked.text];
      return this.#reply(numericReply(this.#server, this.#target, checked.numeric, ...fields));
    }
    this.#nick = checked.name;
    return this.#complete([]);
  }

  /** RFC 2812 §3.1.3: `USER <user> <mode> <unused> :<realname>`. */
  #userCommand(params: readonly string[]): RegistrationStep {
    if (this.#registered) return this.#reply(numericError(this.#server, this.#target, ERR_ALREADYREGISTERED));
    const [user, , , realname] = params;
    if (user === undefined || user === '' || realname === undefined) return this.#needMoreParams('USER');
    this.#user = { user, realname };
    return this.#complete([]);
  }

  #cap(params: readonly string[]): RegistrationStep {
    const sub = params[0]?.toUpperCase();
    if (sub === undefined) return this.#needMoreParams('CAP');
    const capReply = (verb: string, list: string): IrcMessage => ({
      prefix: this.#server,
      command: 'CAP',
      params: [this.#target, verb, list],
    });
    switch (sub) {
      case 'LS': {
        // "CAP LS … the server MUST suspend registration until CAP END" (capability negotiation).
        if (!this.#registered) this.#negotiating = true;
        const withValues = Number(params[1]) >= 302;
        return this.#reply(capReply('LS', capList(withValues)));
      }
      case 'LIST':
        return this.#reply(capReply('LIST', [...this.#caps].join(' ')));
      case 'REQ': {
        if (!this.#registered) this.#negotiating = true;
        const list = params[1] ?? '';
        return this.#reply(capReply(this.#request(list) ? 'ACK' : 'NAK', list));
      }
      case 'END':
        this.#negotiating = false;
        return this.#registered ? { replies: [] } : this.#complete([]);
      default:
        // Echoed to the client: printable ASCII only, short (the fuzzer sent CTCP through it).
        return this.#reply(
          numericReply(this.#server, this.#target, ERR_INVALIDCAPCMD, printable(sub), 'Invalid CAP command'),
        );
    }
  }

  /** CAP REQ is all or nothing ("CAP REQ": one unknown name NAKs the whole list); `-name` disables. */
  #request(list: string): boolean {
    const items = list.split(' ').filter((item) => item !== '');
    const changes: [IrcCapability, boolean][] = [];
    for (const item of items) {
      const enable = !item.startsWith('-');
      const name = enable ? item : item.slice(1);
      if (!Object.hasOwn(IRC_CAPABILITIES, name)) return false;
      changes.push([name as IrcCapability, enable]);
    }
    if (changes.length === 0) return false;
    for (const [name, enable] of changes) {
      if (enable) this.#caps.add(name);
      else this.#caps.delete(name);
    }
    return true;
  }

  #authenticate(param: string | undefined): RegistrationStep {
    if (param === undefined) return this.#needMoreParams('AUTHENTICATE');
    if (param === '*') {
      this.#resetSasl();
      return this.#reply(numericError(this.#server, this.#target, ERR_SASLABORTED));
    }
    if (this.#sasl === 'verifying') return { replies: [] };
    if (this.#sasl === 'idle') {
      if (param.toUpperCase() === 'PLAIN') {
        this.#sasl = 'plain';
        return this.#reply({ command: 'AUTHENTICATE', params: ['+'] });
      }
      return {
        replies: [
          numericReply(this.#server, this.#target, RPL_SASLMECHS, 'PLAIN', 'are available SASL mechanisms'),
          numericError(this.#server, this.#target, ERR_SASLFAIL),
        ],
      };
    }
    return this.#plainChunk(param);
  }

  #plainChunk(chunk: string): RegistrationStep {
    if (chunk.length > SASL_CHUNK || this.#saslBuffer.length + chunk.length > SASL_MAX) {
      this.#resetSasl();
      return this.#reply(numericError(this.#server, this.#target, ERR_SASLTOOLONG));
    }
    if (chunk !== '+') this.#saslBuffer += chunk;
    if (chunk.length === SASL_CHUNK) return { replies: [] };
    const credentials = decodePlain(this.#saslBuffer);
    if (credentials === undefined) {
      this.#resetSasl();
      return this.#reply(numericError(this.#server, this.#target, ERR_SASLFAIL));
    }
    this.#sasl = 'verifying';
    this.#saslBuffer = '';
    this.#saslCredentials = credentials;
    return { replies: [], saslCredentials: credentials };
  }

  #resetSasl(): void {
    this.#sasl = 'idle';
    this.#saslBuffer = '';
    this.#saslCredentials = undefined;
  }

  /**
   * Registers when nothing is missing. A SASL exchange still in progress is aborted (SASL
   * 3.1: "the server SHOULD abort it and send a 906"); one being verified holds registration
   * until the adapter reports the result.
   */
  #complete(replies: IrcMessage[]): RegistrationStep {
    if (this.#registered || this.#nick === undefined || this.#user === undefined || this.#negotiating) return { replies };
    if (this.#sasl === 'verifying') return { replies };
    if (this.#sasl === 'plain') {
      this.#resetSasl();
      replies.push(numericError(this.#server, this.#target, ERR_SASLABORTED));
    }
    this.#registered = true;
    const registered: IrcRegistered = {
      nick: this.#nick,
      user: this.#user.user,
      realname: this.#user.realname,
      caps: new Set(this.#caps),
    };
    if (this.#pass !== undefined) registered.pass = this.#pass;
    if (this.#saslDone !== undefined) registered.sasl = this.#saslDone;
    return { replies, registered };
  }
}

const UNHANDLED = (): RegistrationStep => ({ replies: [], unhandled: true });

/** A client's word as a numeric's subject: no control, space or non-ASCII character, at most 32. */
function printable(word: string): string {
  return word.replace(/[^\x21-\x7e]/g, '?').slice(0, 32);
}

function capList(withValues: boolean): string {
  return Object.entries(IRC_CAPABILITIES)
    .map(([name, value]) => (withValues && value !== '' ? `${name}=${value}` : name))
    .join(' ');
}

/** RFC 4616: `[authzid] NUL authcid NUL passwd`, base64 (an empty payload is `+`, already removed). */
function decodePlain(base64: string): SaslCredentials | undefined {
  if (!BASE64.test(base64) || base64.length % 4 !== 0) return undefined;
  const parts = Buffer.from(base64, 'base64').toString('utf8').split('\0');
  if (parts.length !== 3) return undefined;
  const [authzid, account, password] = parts as [string, string, string];
  if (account === '' || password === '') return undefined;
  return { authzid, account, password };
}
