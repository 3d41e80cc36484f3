// Validates OpenAPI documents (the control API's golden file by default)
// with @seriousme/openapi-schema-validator, pinned by package-lock.json:
//   cd scripts/openapi && npm ci && npm run validate
import { Validator } from "@seriousme/openapi-schema-validator";

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: node validate.mjs FILE...");
  process.exit(2);
}
let failed = false;
for (const file of files) {
  const validator = new Validator();
  const res = await validator.validate(file);
  if (!res.valid) {
    failed = true;
    console.error(`${file}: not a valid OpenAPI ${validator.version ?? ""} document:`);
    console.error(JSON.stringify(res.errors, null, 2));
    continue;
  }
  const refs = validator.resolveRefs(); // every $ref must point inside the document
  if (!refs) {
    failed = true;
    console.error(`${file}: unresolvable $ref`);
    continue;
  }
  console.log(`${file}: valid OpenAPI ${validator.version}`);
}
process.exit(failed ? 1 : 0);
