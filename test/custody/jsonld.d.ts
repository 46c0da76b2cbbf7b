// The part of jsonld.js (https://github.com/digitalbazaar/jsonld.js) the CASE export test uses;
// the published @types/jsonld predate its `safe` mode.
declare module 'jsonld' {
  interface ExpandOptions {
    /** Throw on any lossy processing (a dropped term, an invalid IRI or value). */
    readonly safe?: boolean;
    readonly documentLoader?: (url: string) => Promise<unknown>;
  }
  const jsonld: { expand(input: unknown, options?: ExpandOptions): Promise<unknown[]> };
  export default jsonld;
}
