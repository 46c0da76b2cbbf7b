/**
 * Node-only adapters: file helpers (atomic writes, streaming) and the fs-backed log store.
 * @packageDocumentation
 */
export {};
