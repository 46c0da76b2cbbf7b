/**
 * The static verifier page (dist/verifier/index.html + custos-verifier.js): verifies a bundle
 * dropped into the page against a trust store, with the same verifier, report and policy as
 * `custos verify`, on the portable backend. The bundle is read through `blobSource(File)`:
 * random access by `slice`, streaming by `stream()`, never loaded whole, so a bundle of many GB
 * verifies in flat memory. The page's Content-Security-Policy has `connect-src 'none'`: it
 * cannot send anything anywhere.
 *
 * Every string from the bundle or the trust store reaches the page through `textContent` only
 * (never as markup), with control and bidi characters made visible first.
 */
import { escapeTerminal } from '../cli/escape.js';
import { blobSource, inspectBundle, openBundleItem, verifyBundle } from '../bundle/index.js';
import type { BundleInfo, BundleReport, PlaintextOutput } from '../bundle/index.js';
import { isCustosError } from '../errors.js';
import { TrustStore } from '../keys/trust.js';

const $ = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`#${id} missing`);
  return el as T;
};
const show = (s: unknown): string => escapeTerminal(String(s ?? ''));

function el(tag: string, text?: string, cls?: string): HTMLElement {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = show(text);
  if (cls !== undefined) e.className = cls;
  return e;
}

const state: { bundle?: File; trust?: File; report?: BundleReport; info?: BundleInfo; trustStore?: TrustStore } = {};

function setVerdict(kind: 'idle' | 'ok' | 'bad', line: string, why?: string): void {
  const v = $('verdict');
  v.className = `verdict ${kind}`;
  v.replaceChildren(el('p', line, 'verdict-line'));
  if (why !== undefined) v.append(el('p', why, 'why'));
}

function progress(text: string): void {
  $('progress').textContent = text;
}

function refreshButton(): void {
  ($('verify') as HTMLButtonElement).disabled = state.bundle === undefined || state.trust === undefined;
}

function take(list: FileList | null | undefined): void {
  for (const f of Array.from(list ?? [])) {
    if (/\.json$/i.test(f.name)) state.trust = f;
    else state.bundle = f;
  }
  refreshButton();
}

function renderChecks(report: BundleReport): void {
  const body = $('checks').querySelector('tbody')!;
  body.replaceChildren();
  for (const c of report.checks) {
    const tr = document.createElement('tr');
    tr.append(el('td', c.ok ? 'ok' : 'FAILED', c.ok ? 'result-ok' : 'result-bad'), el('td', c.check), el('td', c.subject ?? ''), el('td', c.detail), el('td', c.code ?? ''));
    body.append(tr);
  }
  const failed = report.checks.filter((c) => !c.ok).length;
  $('checks-caption').textContent = `${report.checks.length} checks, ${failed} failed`;
  $('checks-section').hidden = false;
}

function renderSummary(report: BundleReport): void {
  const dl = $('facts');
  dl.replaceChildren();
  const m = report.manifest;
  const rows: [string, string | undefined][] = [
    ['File', state.bundle?.name],
    ['Size', state.bundle !== undefined ? `${state.bundle.size.toLocaleString('en')} bytes` : undefined],
    ['Issuer', m?.signer ?? m?.issuer],
    ['Created', m?.created],
    ['Request', m?.request],
    ['Case', m?.case],
    ['Items', m?.items.map((i) => i.id).join(', ')],
  ];
  for (const [k, v] of rows) if (v !== undefined) dl.append(el('dt', k), el('dd', v));
  $('summary').hidden = false;
}

function renderItems(info: BundleInfo): void {
  const root = $('items');
  root.replaceChildren();
  for (const it of info.items) {
    const box = el('article', undefined, 'item');
    box.setAttribute('aria-label', `item ${show(it.id)}`);
    box.append(el('h3', `${it.id}${it.size !== undefined ? ` (${it.size.toLocaleString('en')} bytes)` : ''}`));
    const files = el('ul');
    for (const f of it.files) files.append(el('li', `${f.name}: ${f.size.toLocaleString('en')} bytes, SHA-256 ${f.sha256.slice(0, 16)}…`));
    const timeline = el('ol');
    for (const d of it.details) timeline.append(el('li', d));
    box.append(el('h4', 'Files'), files, el('h4', 'Seal, custody timeline and receipts'), timeline);
    root.append(box);
  }
  $('items-section').hidden = false;
  const select = $('item') as HTMLSelectElement;
  select.replaceChildren(...info.items.map((i) => Object.assign(document.createElement('option'), { value: i.id, textContent: show(i.id) })));
  $('open-section').hidden = false;
}

async function verify(): Promise<void> {
  if (state.bundle === undefined || state.trust === undefined) return;
  setVerdict('idle', 'Verifying…');
  try {
    state.trustStore = TrustStore.parse(JSON.parse(await state.trust.text()));
  } catch (e) {
    setVerdict('bad', 'NOT VERIFIED: the trust store cannot be read', isCustosError(e) ? `${e.code}: ${e.message}` : String(e));
    return;
  }
  const audience = ($('audience') as HTMLInputElement).value.trim();
  const started = performance.now();
  let hashed = 0;
  const report = await verifyBundle(blobSource(state.bundle), {
    trust: state.trustStore,
    ...(audience !== '' ? { policy: { audience } } : {}),
    onBytes: (n) => {
      hashed += n;
      progress(`${(hashed / 1e6).toFixed(0)} MB hashed…`);
    },
  });
  state.report = report;
  progress(`Verified ${(state.bundle.size / 1e6).toFixed(1)} MB in ${((performance.now() - started) / 1000).toFixed(1)} s.`);
  const failed = report.checks.filter((c) => !c.ok);
  if (report.ok) setVerdict('ok', 'VERIFIED', `Every one of the ${report.checks.length} checks passed.`);
  else if (!report.readable) setVerdict('bad', 'NOT A READABLE BUNDLE', failed.map((c) => `${c.check}: ${c.code ?? ''} ${c.detail}`).join('\n'));
  else setVerdict('bad', 'NOT VERIFIED', `${failed.length} of ${report.checks.length} checks failed; first: ${failed[0]?.check} ${failed[0]?.subject ?? ''} (${failed[0]?.code ?? ''}): ${failed[0]?.detail ?? ''}`);
  (document.body as HTMLElement).dataset['verdict'] = report.ok ? 'verified' : 'failed';
  renderSummary(report);
  renderChecks(report);
  if (report.readable) {
    try {
      state.info = await inspectBundle(blobSource(state.bundle));
      renderItems(state.info);
      if (report.manifest?.request !== undefined) ($('request') as HTMLInputElement).placeholder = show(report.manifest.request);
    } catch {
      // an unreadable description changes nothing about the verdict above
    }
  }
}

/** age identities from a custos key file (JSON with `age[].identity`) or an age identity file. */
function identitiesOf(text: string): string[] {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    const doc = JSON.parse(trimmed) as { age?: { identity?: unknown }[] };
    return (doc.age ?? []).map((a) => a.identity).filter((x): x is string => typeof x === 'string');
  }
  return trimmed.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.startsWith('AGE-SECRET-KEY-'));
}

/** Where the plaintext goes: a file the user picks (streamed to disk) where the browser allows it, else memory. */
async function plaintextOutput(name: string): Promise<{ output: PlaintextOutput; offer(): void }> {
  const w = window as unknown as { showSaveFilePicker?: (o: unknown) => Promise<{ createWritable(): Promise<{ write(b: Uint8Array): Promise<void>; close(): Promise<void>; abort(): Promise<void> }> }> };
  if (typeof w.showSaveFilePicker === 'function') {
    const handle = await w.showSaveFilePicker({ suggestedName: name });
    const writable = await handle.createWritable();
    // The File System Access API writes to a temporary file and moves it into place on close:
    // nothing appears under the chosen name unless every check passed.
    return {
      output: { write: async (parts) => { for (const p of parts) await writable.write(p); }, commit: () => writable.close(), abort: () => writable.abort() },
      offer: () => undefined,
    };
  }
  const parts: Uint8Array[] = [];
  let committed = false;
  return {
    output: {
      write: async (ps) => { for (const p of ps) parts.push(p.slice()); },
      commit: async () => { committed = true; },
      abort: async () => { parts.length = 0; },
    },
    offer: () => {
      if (!committed) return;
      const a = $('save') as HTMLAnchorElement;
      a.href = URL.createObjectURL(new Blob(parts as BlobPart[], { type: 'application/octet-stream' }));
      a.download = name;
      a.hidden = false;
      a.textContent = `Save ${name}`;
    },
  };
}

async function open(): Promise<void> {
  const status = $('open-status');
  const keyFile = ($('key') as HTMLInputElement).files?.[0];
  const id = ($('item') as HTMLSelectElement).value;
  const request = ($('request') as HTMLInputElement).value.trim();
  const purpose = ($('purpose') as HTMLInputElement).value.trim();
  if (state.bundle === undefined || state.trustStore === undefined || keyFile === undefined || request === '' || purpose === '') {
    status.textContent = 'Choose the item, your key file, and the request and purpose you expect.';
    return;
  }
  ($('save') as HTMLAnchorElement).hidden = true;
  status.textContent = `Opening ${show(id)}…`;
  try {
    const identities = identitiesOf(await keyFile.text());
    if (identities.length === 0) throw new Error('the key file holds no age identity');
    const target = await plaintextOutput(id);
    const r = await openBundleItem(blobSource(state.bundle), id, { trust: state.trustStore, identities, output: target.output, expect: { request, purpose } });
    target.offer();
    status.textContent = `Opened ${show(id)}: ${r.size.toLocaleString('en')} bytes, plaintext SHA-256 ${show(r.sha256 ?? '')} matches the seal and the custody chain.`;
  } catch (e) {
    status.textContent = `Not opened: ${isCustosError(e) ? `${e.code}: ${show(e.message)}` : show(e instanceof Error ? e.message : e)}`;
  }
}

function wire(): void {
  ($('bundle') as HTMLInputElement).addEventListener('change', (e) => take((e.target as HTMLInputElement).files));
  ($('trust') as HTMLInputElement).addEventListener('change', (e) => take((e.target as HTMLInputElement).files));
  const drop = $('drop');
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    take(e.dataTransfer?.files);
  });
  $('inputs').addEventListener('submit', (e) => {
    e.preventDefault();
    void verify().catch((err: unknown) => setVerdict('bad', 'NOT VERIFIED: the verifier stopped', isCustosError(err) ? `${err.code}: ${err.message}` : String(err)));
  });
  $('open-form').addEventListener('submit', (e) => {
    e.preventDefault();
    void open();
  });
}

wire();
