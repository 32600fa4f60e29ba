export { crdDocuments, ensureSchemas, type SchemaDirs } from './ensure.js';
export { goEnv, goModuleDir } from './go-modules.js';
export { kubeconformBinary, validateManifests, type ValidationResult } from './kubeconform.js';
export { CRD_SOURCES, KUBERNETES, type CrdSource } from './sources.js';
