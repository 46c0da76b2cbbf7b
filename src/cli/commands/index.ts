/** Every CLI command, in the order `custos --help` lists them. */
import type { Command } from '../command.js';
import { bundleCreate, inspect, verify } from './bundle.js';
import { demo } from './demo.js';
import { keygen, pubkey } from './keys.js';

export const COMMANDS: readonly Command[] = [keygen, pubkey, bundleCreate, verify, inspect, demo];
