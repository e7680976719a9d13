export * from './limits.js';
export * from './errors.js';
export * from './frames.js';
export * from './codec.js';
export * from './line-decoder.js';
export * from './text-mode.js';
export * from './msg-line.js';
