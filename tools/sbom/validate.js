// Validate a CycloneDX 1.5 JSON SBOM with CycloneDX's own library and its bundled official
// schemas (JsonStrictValidator: the strict 1.5 schema, with ajv). Usage:
//   NODE_PATH=$OPENV_CACHE/sbom-validator/node_modules node tools/sbom/validate.js bom.json
// Exit 0: valid. Exit 1: invalid (the schema errors are printed). Exit 2: cannot run.
'use strict'
const fs = require('fs')
let CDX
try {
  CDX = require('@cyclonedx/cyclonedx-library')
} catch (e) {
  console.error('sbom-validate: @cyclonedx/cyclonedx-library is not installed (make deps): ' + e.message)
  process.exit(2)
}
const file = process.argv[2]
if (!file) { console.error('usage: validate.js bom.json'); process.exit(2) }
const validator = new CDX.Validation.JsonStrictValidator(CDX.Spec.Version.v1dot5)
validator.validate(fs.readFileSync(file, 'utf8')).then((errors) => {
  if (errors === null) {
    console.log(`sbom-validate: ${file}: valid CycloneDX 1.5 (strict JSON schema)`)
    process.exit(0)
  }
  console.error(`sbom-validate: ${file}: INVALID CycloneDX 1.5:`)
  console.error(JSON.stringify(errors, null, 2))
  process.exit(1)
}, (err) => {
  console.error('sbom-validate: validator could not run: ' + err)
  process.exit(2)
})
