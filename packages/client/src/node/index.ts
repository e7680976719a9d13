/** @loopchat/client for Node: the browser-safe client plus the TCP JSON-lines transport. */
export * from '../index.js';
export { tcpTransport, type TcpTransportOptions } from './tcp-transport.js';
