// Prints the gzipped size of the JavaScript and CSS that the first page load fetches
// (the entry chunk and what index.html preloads), and writes it to dist/bundle-size.json.
import { readFileSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { join } from "node:path";

const html = readFileSync("dist/index.html", "utf8");
const files = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]);
let total = 0;
const rows = files.map((f) => {
  const raw = readFileSync(join("dist", f));
  const gz = gzipSync(raw, { level: 9 }).length;
  total += gz;
  return { file: f, bytes: raw.length, gzip: gz };
});
for (const r of rows) console.log(`${r.file}: ${(r.bytes / 1024).toFixed(1)} KiB, ${(r.gzip / 1024).toFixed(1)} KiB gzipped`);
console.log(`initial load: ${(total / 1024).toFixed(1)} KiB gzipped (budget 250 KiB)`);
writeFileSync("dist/bundle-size.json", JSON.stringify({ files: rows, initial_gzip_bytes: total }, null, 2));
