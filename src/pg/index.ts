/**
 * `custos/pg`: the transparency log on PostgreSQL, for many writer processes on many hosts.
 * Needs the `pg` driver (an optional peer dependency: `npm install pg`).
 * @packageDocumentation
 */
export { openPgLog } from './open.js';
export type { OpenPgLogOptions, PgLogStore } from './types.js';
export { SCHEMA_VERSION } from './schema.js';
