/** Every CLI command, in the order `custos --help` lists them. */
import type { Command } from '../command.js';
import { bundleCreate, inspect, verify } from './bundle.js';
import { custodyAppend, custodyExport, custodyHandover, custodyInit, custodyShow, custodyVerify } from './custody.js';
import { demo } from './demo.js';
import { open, rewrap, seal } from './evidence.js';
import { keygen, pubkey } from './keys.js';
import { logAppend, logCheckpoint, logInit, logProve, logVerify } from './log.js';
import { redact } from './redact.js';
import { serveLogCmd, serveWitnessCmd } from './serve.js';
import { requestDeadlines, requestStats, requestStatusCmd, requestValidate } from './request.js';
import { trustAdd, trustInit, trustList, trustRevoke } from './trust.js';

export const COMMANDS: readonly Command[] = [
  keygen,
  pubkey,
  trustInit,
  trustAdd,
  trustRevoke,
  trustList,
  custodyInit,
  custodyAppend,
  custodyVerify,
  custodyShow,
  custodyHandover,
  custodyExport,
  seal,
  bundleCreate,
  verify,
  inspect,
  open,
  rewrap,
  redact,
  logInit,
  logAppend,
  logCheckpoint,
  logProve,
  logVerify,
  serveLogCmd,
  serveWitnessCmd,
  requestValidate,
  requestDeadlines,
  requestStatusCmd,
  requestStats,
  demo,
];
