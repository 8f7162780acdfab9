/** The tfjs backends a model can be trained on; apart from backend.ts so a manifest reader costs no tfjs import. */
export const BACKENDS = ['wasm', 'cpu', 'tensorflow'] as const;
export type BackendName = (typeof BACKENDS)[number];
