// Fails when src/api/schema.d.ts is not what openapi-typescript makes from the committed
// spec (../openapi/openapi.json): the UI's API types and the server cannot drift.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const out = join(mkdtempSync(join(tmpdir(), "bb-api-")), "schema.d.ts");
execFileSync("npx", ["openapi-typescript", "../openapi/openapi.json", "--default-non-nullable", "false", "-o", out], { stdio: "ignore" });
const fresh = readFileSync(out, "utf8");
const committed = readFileSync("src/api/schema.d.ts", "utf8");
if (fresh !== committed) {
  console.error("src/api/schema.d.ts is out of date with ../openapi/openapi.json; run `npm run gen:api` and commit it.");
  process.exit(1);
}
console.log("API types match the committed OpenAPI spec.");
