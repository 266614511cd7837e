export * from './clock.js';
export * from './errors.js';
export * from './hash-key.js';
export * from './sequence-number.js';
export * from './protocol.js';
export * from './sigv4-canonical.js';
export * from './sigv4-sign.js';
export * from './health.js';
