/**
 * Loading PKCS#11 modules, once per process and path.
 *
 * A module is one C library per process: loading the same .so twice gives the same library, and
 * its second C_Initialize fails (CKR_CRYPTOKI_ALREADY_INITIALIZED). So every signer on a module
 * shares one loaded instance, counted; the last one to close finalizes it. A module found
 * finalized from under us (CKR_CRYPTOKI_NOT_INITIALIZED) is marked dead and dropped, so the next
 * open loads it afresh.
 */
import { createRequire } from 'node:module';
import { isAbsolute } from 'node:path';
import { CustosError, fail } from '../../errors.js';
import { pkcs11Error } from './errors.js';

/** The binding's PKCS11 class instance (the constants are on {@link loadBinding}'s module object). */
export type Binding = import('pkcs11js').PKCS11;

/** A loaded module, shared by the signers open on it. */
export interface LoadedModule {
  readonly path: string;
  readonly p: Binding;
  /** True once the module was finalized (by us, or found finalized from under us). */
  dead: boolean;
  release(): void;
}

type PkcsJs = typeof import('pkcs11js');

let binding: PkcsJs | undefined;

/** The pkcs11js binding (an optional dependency), or ERR_PKCS11_UNAVAILABLE. */
export function loadBinding(): PkcsJs {
  if (binding !== undefined) return binding;
  try {
    binding = createRequire(import.meta.url)('pkcs11js') as PkcsJs;
  } catch (e) {
    throw new CustosError('ERR_PKCS11_UNAVAILABLE', 'the pkcs11js binding is not installed (it is an optional dependency of custos; install it with its build scripts allowed)', { cause: e });
  }
  return binding;
}

const loaded = new Map<string, { mod: LoadedModule; refs: number }>();

/** Loads and initializes the module at `path`, or takes another reference on it. */
export function acquireModule(path: string): LoadedModule {
  if (!isAbsolute(path)) fail('ERR_PKCS11_UNAVAILABLE', 'the PKCS#11 module path must be absolute');
  const have = loaded.get(path);
  if (have !== undefined && !have.mod.dead) {
    have.refs++;
    return have.mod;
  }
  const js = loadBinding();
  const inst = new js.PKCS11();
  try {
    inst.load(path);
  } catch (e) {
    throw new CustosError('ERR_PKCS11_UNAVAILABLE', 'cannot load the PKCS#11 module (wrong path, or not a PKCS#11 library)', { cause: e });
  }
  try {
    inst.C_Initialize({ flags: js.CKF_OS_LOCKING_OK });
  } catch (e) {
    if ((e as { code?: unknown }).code !== js.CKR_CRYPTOKI_ALREADY_INITIALIZED) {
      try {
        inst.close();
      } catch {
        // nothing more to undo
      }
      throw pkcs11Error('C_Initialize', e);
    }
  }
  const p: Binding = inst;
  const entry = { mod: undefined as unknown as LoadedModule, refs: 1 };
  const mod: LoadedModule = {
    path,
    p,
    dead: false,
    release() {
      if (--entry.refs > 0) return;
      loaded.delete(path);
      if (mod.dead) return;
      mod.dead = true;
      try {
        inst.C_Finalize();
      } catch {
        // finalized from under us already
      }
      try {
        inst.close();
      } catch {
        // the library stays mapped: harmless
      }
    },
  };
  entry.mod = mod;
  loaded.set(path, entry);
  return mod;
}

/** Marks the module at `path` dead (after CKR_CRYPTOKI_NOT_INITIALIZED), so the next open reloads it. */
export function markModuleDead(path: string): void {
  const e = loaded.get(path);
  if (e !== undefined) {
    e.mod.dead = true;
    loaded.delete(path);
  }
}
