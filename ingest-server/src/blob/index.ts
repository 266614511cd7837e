/**
 * The blob stores' public surface: the BlobStore seam and key rules, the file store (the
 * default) and the replicated JetStream object store. Other modules import from here only.
 */
export { assertBlobKey, MAX_BLOB_KEY_CHARS, splitBlobPrefix, type BlobStore } from './blob-store.js';
export { FsBlobStore, type FsBlobStoreOptions } from './fs-blob-store.js';
export { JetStreamBlobStore, type JetStreamBlobStoreOptions } from './jetstream-blob-store.js';
