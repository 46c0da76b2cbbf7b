/** The HTTP faces of the log (read, write, witness) and their clients; re-exported by custos/node. */
export { serveLog } from './logserver.js';
export type { LogServerOptions, WritableLog } from './logserver.js';
export { parseAddCheckpoint, serveWitness } from './witness.js';
export type { WitnessServerOptions } from './witness.js';
export { Publisher, collectCosignatures } from './publisher.js';
export type { CollectOptions, PublishedStore, PublisherOptions, WitnessEndpoint } from './publisher.js';
export { filePublishedStore } from './published-file.js';
export { httpTileFetcher, verifyRemoteInclusion, verifyRemoteLog } from './client.js';
export type { HttpClientOptions, RemoteInclusionReport } from './client.js';
export type { Listening, ServerLimits } from './http.js';
export { parseTilePath } from '../log/tilepath.js';
export type { TileResource } from '../log/tilepath.js';
