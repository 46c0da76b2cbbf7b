export { COSE_SIGN1_TAG, HEADER, decodeSign1, sign1ToBeSigned, signSign1, verifySign1 } from './sign1.js';
export type { DecodeSign1Options, HeaderMap, Sign1, Sign1Options, VerifySign1Options } from './sign1.js';
