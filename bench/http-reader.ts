// A tile reader process for bench/pg.bench.ts: `concurrency` keep-alive loops GET tiles and
// bundles of a log of `size` entries for `seconds`, then prints {requests, seconds, errors}.
const [base, size, seconds, concurrency] = process.argv.slice(2) as [string, string, string, string];
const tiles = Math.floor(Number(size) / 256);
const enc = (n: number) => {
  let s = String(n % 1000).padStart(3, '0');
  for (let r = Math.floor(n / 1000); r > 0; r = Math.floor(r / 1000)) s = `x${String(r % 1000).padStart(3, '0')}/${s}`;
  return s;
};
const paths = Array.from({ length: tiles }, (_, i) => [`tile/0/${enc(i)}`, `tile/entries/${enc(i)}`]).flat();
const end = Date.now() + Number(seconds) * 1000;
let requests = 0;
let errors = 0;
await Promise.all(
  Array.from({ length: Number(concurrency) }, async (_, k) => {
    for (let i = k; Date.now() < end; i += Number(concurrency)) {
      const r = await fetch(base + paths[i % paths.length]!);
      await r.arrayBuffer();
      if (r.status === 200) requests++;
      else errors++;
    }
  }),
);
process.stdout.write(`${JSON.stringify({ requests, seconds: Number(seconds), errors })}\n`);
